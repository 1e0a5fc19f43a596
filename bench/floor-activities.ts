// The floors' activities: they do nothing, so what a floor run costs is Temporal's own work.
export async function order(): Promise<void> {}
export async function poll(): Promise<void> {}
export async function upload(): Promise<void> {}
/** One step of the same-steps floor (as an activity or a local activity). */
export async function step(): Promise<void> {}
