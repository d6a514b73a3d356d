//! The wildcard patterns AWS routing uses: `*` matches any run of characters (including none),
//! `?` exactly one. ALB host-header and path-pattern conditions and CloudFront path patterns
//! and alternate domain names all use this form; there are no character classes or escapes.

/// Whether `text` matches `pattern`. Host names compare case-insensitively; paths do not.
pub fn wildcard_match(pattern: &str, text: &str, case_insensitive: bool) -> bool {
    let norm = |s: &str| -> Vec<char> {
        if case_insensitive {
            s.chars().flat_map(char::to_lowercase).collect()
        } else {
            s.chars().collect()
        }
    };
    let p = norm(pattern);
    let t = norm(text);
    // Iterative matcher with single backtrack point: linear in practice, no recursion depth.
    let (mut pi, mut ti) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[cfg(test)]
mod tests {
    use super::wildcard_match as m;

    #[test]
    fn stars_and_question_marks() {
        assert!(m("/ws/*", "/ws/", false));
        assert!(m("/ws/*", "/ws/chat/room", false));
        assert!(!m("/ws/*", "/ws", false));
        assert!(m("/ws*", "/ws", false));
        assert!(m("*", "", false));
        assert!(m("/v?/ws", "/v2/ws", false));
        assert!(!m("/v?/ws", "/v10/ws", false));
        assert!(m("*.example.com", "ws.example.com", true));
        assert!(m("*.EXAMPLE.com", "a.b.example.com", true));
        assert!(!m("*.example.com", "example.com", true));
        assert!(!m("/WS/*", "/ws/x", false));
        assert!(m("*a*b*c", "xxaxxbxxc", false));
        assert!(!m("*a*b*c", "xxaxxcxxb", false));
    }
}
