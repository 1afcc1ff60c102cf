// Limits of the CVM API that the provider plans around and quotes in its messages.

/** How many security groups one instance may hold. */
export const MAX_SGS_PER_INSTANCE = 5;
