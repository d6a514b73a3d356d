//! Splits independent work (server blocks, chains to judge) across the machine's cores,
//! keeping the order of the results.

/// Applies `f` to consecutive chunks of `items` on up to four threads; results in order.
/// Small inputs stay on the calling thread, where spawning would cost more than it saves.
pub fn map_chunks<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&[T]) -> R + Sync,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    if threads == 1 || items.len() < 512 {
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
