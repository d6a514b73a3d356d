//! Splits independent work (server blocks, chains to judge) across the machine's cores,
//! keeping the order of the results.

/// The most threads one parallel step uses (the nginx reader, server building, judging): one
/// cap for all of them, so a change of it is measured once.
pub const MAX_THREADS: usize = 4;

/// Below this many items, spawning threads costs more than it saves.
pub const MIN_PARALLEL_ITEMS: usize = 512;

/// How many threads a parallel step uses on this machine: its cores, up to [`MAX_THREADS`].
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_THREADS))
}

/// Applies `f` to consecutive chunks of `items` on up to [`MAX_THREADS`] threads; results in
/// order. Inputs shorter than [`MIN_PARALLEL_ITEMS`] stay on the calling thread.
pub fn map_chunks<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let threads = threads();
    if threads == 1 || items.len() < MIN_PARALLEL_ITEMS {
        return vec![f(items)];
    }
    let chunk = items.len().div_ceil(threads);
    std::thread::scope(|s| {
        let f = &f;
        let handles: Vec<_> = items.chunks(chunk).map(|c| s.spawn(move || f(c))).collect();
        handles
            .into_iter()
            .map(|h| match h.join() {
                Ok(r) => r,
                // A panic is a bug: surface it on the caller's thread rather than lose results.
                Err(e) => std::panic::resume_unwind(e),
            })
            .collect()
    })
}
