//! The client's network address, for rate limits, the audit log and the
//! simulation site's scanner rules.
//!
//! Behind a reverse proxy every connection comes from the proxy, which adds
//! the address it was reached from to the end of `X-Forwarded-For`. Whatever
//! is further left was written by the client and proves nothing, so the
//! address used is the one `forwarded_hops` places from the right: the entry
//! added by the outermost proxy the operator runs.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use crate::config::Settings;

/// One `X-Forwarded-For` entry: an address, perhaps with a port.
fn entry(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    s.parse::<IpAddr>()
        .ok()
        .or_else(|| s.parse::<SocketAddr>().ok().map(|a| a.ip()))
        .map(|ip| ip.to_canonical())
}

/// The client's address: the connection's, or with `trust_forwarded_for`
/// the entry the trusted proxies added. A request that did not come through
/// all of them (too few entries, or one that is not an address) is judged by
/// the connection's own address.
pub fn client_ip(
    settings: &Settings,
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
) -> Option<IpAddr> {
    let peer_ip = peer.map(|p| p.ip().to_canonical());
    if !settings.trust_forwarded_for {
        return peer_ip;
    }
    // Several header lines count as one list, in order.
    let entries: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    let hops = settings.forwarded_hops.max(1);
    if entries.len() < hops {
        return peer_ip;
    }
    entry(entries[entries.len() - hops]).or(peer_ip)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append("x-forwarded-for", v.parse().unwrap());
        }
        h
    }

    #[test]
    fn the_proxys_entry_counts_and_the_clients_own_do_not() {
        let peer = Some("10.0.0.5:4444".parse().unwrap());
        let mut s = Settings::default();
        let forged = headers(&["6.6.6.6, 7.7.7.7", "203.0.113.9"]);
        assert_eq!(
            client_ip(&s, &forged, peer),
            Some("10.0.0.5".parse().unwrap()),
            "not trusted: the connection"
        );
        s.trust_forwarded_for = true;
        assert_eq!(
            client_ip(&s, &forged, peer),
            Some("203.0.113.9".parse().unwrap())
        );
        s.forwarded_hops = 2;
        assert_eq!(
            client_ip(&s, &forged, peer),
            Some("7.7.7.7".parse().unwrap())
        );
        s.forwarded_hops = 4;
        assert_eq!(
            client_ip(&s, &forged, peer),
            Some("10.0.0.5".parse().unwrap()),
            "too few entries"
        );
        s.forwarded_hops = 1;
        assert_eq!(
            client_ip(&s, &headers(&["[2001:db8::1]:80"]), peer),
            Some("2001:db8::1".parse().unwrap())
        );
        assert_eq!(
            client_ip(&s, &headers(&["junk"]), peer),
            Some("10.0.0.5".parse().unwrap())
        );
    }
}
