// Label values consumers select on, named once: the payment queues (holdfast_payment_queue_jobs{queue})
// and the unfinished job states.

/** The payment queue and its dead-letter queue: queue names, and the `queue` label of the queue metrics. */
export const PAYMENT_QUEUES = { charge: 'payment-charge', deadLetter: 'payment-charge-dead' } as const;

/** The `state` label of holdfast_payment_queue_jobs: a job waiting, waiting for its retry, or being worked. */
export const QUEUE_JOB_STATES = ['created', 'retry', 'active'] as const;
