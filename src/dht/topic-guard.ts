/**
 * Guarding a gossipsub topic: a validator that runs on every message before gossipsub delivers or
 * forwards it, and score parameters so that a `Reject` costs the sender.
 *
 * Without score parameters for a topic, gossipsub counts nothing there: a peer whose messages
 * are all rejected keeps its score and its place in the mesh, and sends junk for ever. With them,
 * each rejected message raises the sender's invalid-delivery counter, which enters its score
 * squared (P4 of the gossipsub v1.1 score); a few junk messages take it under the gossip, publish
 * and graylist thresholds (−10, −50, −80 by default), after which its messages are ignored and it
 * leaves the mesh.
 *
 * Topics are named at run time (the ledger's carry the chain id), after libp2p is built, so the
 * parameters are added to the running router's score table, which gossipsub reads per message.
 */
import type { GossipSub, TopicValidatorFn } from '@libp2p/gossipsub'

/** Gossipsub's per-topic score parameters (its `TopicScoreParams`). */
export interface TopicScoreParams {
  topicWeight: number
  timeInMeshWeight: number
  timeInMeshQuantum: number
  timeInMeshCap: number
  firstMessageDeliveriesWeight: number
  firstMessageDeliveriesDecay: number
  firstMessageDeliveriesCap: number
  meshMessageDeliveriesWeight: number
  meshMessageDeliveriesDecay: number
  meshMessageDeliveriesCap: number
  meshMessageDeliveriesThreshold: number
  meshMessageDeliveriesWindow: number
  meshMessageDeliveriesActivation: number
  meshFailurePenaltyWeight: number
  meshFailurePenaltyDecay: number
  invalidMessageDeliveriesWeight: number
  invalidMessageDeliveriesDecay: number
}

/**
 * The score parameters of agora's topics, per second of gossipsub's decay interval.
 *
 * - **Invalid deliveries (P4):** weight −10 with the topic weight 1, so one rejected message
 *   scores −10, three −90 (graylisted); the counter decays to half in about a minute
 *   (0.5^(1/60) ≈ 0.9885 a second), so a peer that sent one bad message recovers, a flooder does not.
 * - **Mesh delivery deficits (P3, P3b): off.** Blocks come every 12 s and listings and refusals
 *   rarely: any delivery threshold would count honest peers on quiet topics as failing.
 * - **First deliveries (P2) and time in mesh (P1):** small positive credit, which the router caps
 *   at its topic score cap (10), so good behaviour cannot buy room for more than one bad message.
 */
export const GUARDED_TOPIC_SCORE: Readonly<TopicScoreParams> = Object.freeze({
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 300,
  firstMessageDeliveriesWeight: 0.5,
  firstMessageDeliveriesDecay: 0.99,
  firstMessageDeliveriesCap: 10,
  meshMessageDeliveriesWeight: 0,
  meshMessageDeliveriesDecay: 0.5,
  meshMessageDeliveriesCap: 1,
  meshMessageDeliveriesThreshold: 1,
  meshMessageDeliveriesWindow: 10,
  meshMessageDeliveriesActivation: 5000,
  meshFailurePenaltyWeight: 0,
  meshFailurePenaltyDecay: 0.5,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.9885
})

/** The part of the running router that holds the score table (the class has it; the interface does not). */
interface ScoredRouter {
  score?: { params?: { topics?: Record<string, TopicScoreParams> } }
}

/**
 * Installs `validate` on `topic` and the score parameters that make its rejections count.
 * Returns the function that removes both (call it when the owner stops).
 */
export function guardTopic (pubsub: GossipSub, topic: string, validate: TopicValidatorFn, score: TopicScoreParams = GUARDED_TOPIC_SCORE): () => void {
  pubsub.topicValidators.set(topic, validate)
  const topics = (pubsub as unknown as ScoredRouter).score?.params?.topics
  if (topics != null) topics[topic] = { ...score }
  return () => {
    if (pubsub.topicValidators.get(topic) === validate) pubsub.topicValidators.delete(topic)
    if (topics != null) Reflect.deleteProperty(topics, topic)
  }
}
