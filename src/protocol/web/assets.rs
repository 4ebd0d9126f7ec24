//! The browser chat page, embedded in the binary: no build step, no CDN, works on a LAN without
//! internet. Served by the broker's web face at `/`, `/app.js` (which imports `/chat.js`) and
//! `/app.css`.

/// One embedded file: its path, media type and bytes.
pub struct Asset {
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

/// Every file of the page.
pub const ASSETS: [Asset; 4] = [
    Asset { path: "/", content_type: "text/html; charset=utf-8", body: include_str!("assets/index.html") },
    Asset { path: "/app.js", content_type: "text/javascript; charset=utf-8", body: include_str!("assets/app.js") },
    Asset { path: "/chat.js", content_type: "text/javascript; charset=utf-8", body: include_str!("assets/chat.js") },
    Asset { path: "/app.css", content_type: "text/css; charset=utf-8", body: include_str!("assets/app.css") },
];

/// The asset served at `path`, if any (`/index.html` is `/`).
pub fn find(path: &str) -> Option<&'static Asset> {
    let path = if path == "/index.html" { "/" } else { path };
    ASSETS.iter().find(|asset| asset.path == path)
}
