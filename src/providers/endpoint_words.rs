//! The words that mark a WebSocket endpoint in a path or a backend's name (`/cable`,
//! `socket.io`, `ws_backend`), shared by the readers that list a configuration's WebSocket
//! routes without a request to route (nginx locations, HAProxy backends).

/// Path words that mark a WebSocket endpoint even when `Upgrade` is (wrongly) not forwarded.
const WS_WORDS: &[&str] = &[
    "ws",
    "wss",
    "websocket",
    "websockets",
    "socket",
    "sockets",
    "sockjs",
    "cable",
    "hub",
    "hubs",
    "realtime",
    "live",
    "graphql",
    "subscriptions",
    "signalr",
    "stomp",
    "mqtt",
    "io",
    "blazor",
    "push",
    "pubsub",
    "channels",
    "phoenix",
];

/// The first word of `name` (a path or an upstream's name) that marks a WebSocket endpoint:
/// `socket.io`, `_blazor`, `ws_backend`.
pub fn websocket_word(name: &str) -> Option<String> {
    name.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .find(|w| WS_WORDS.contains(w))
        .map(str::to_string)
}
