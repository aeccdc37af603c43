//! Tokens found through every kind of forwarding, wrapping and encoding,
//! and no input that can panic the parser.

use super::*;

fn token() -> RecipientToken {
    RecipientToken::generate()
}

/// A forwarding message with the given body parts already assembled.
fn message(headers: &str, body: &str) -> Vec<u8> {
    format!(
        "From: Alice Smith <Alice.Smith@Practice.example>\r\n\
         To: phishing-reports@practice.example\r\n\
         Subject: FW: Your parcel could not be delivered\r\n\
         Date: Tue, 03 Mar 2026 09:15:00 +0000\r\n\
         Message-ID: <forward-1@mail.practice.example>\r\n\
         MIME-Version: 1.0\r\n{headers}\r\n{body}"
    )
    .into_bytes()
}

fn qp_encode(text: &str) -> String {
    // Soft line breaks every 40 characters, as an encoder might, and '=' escaped.
    let escaped = text.replace('=', "=3D");
    let chars: Vec<char> = escaped.chars().collect();
    chars
        .chunks(40)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("=\r\n")
}

fn b64_lines(text: &str) -> String {
    let enc = base64::engine::general_purpose::STANDARD.encode(text);
    enc.as_bytes()
        .chunks(76)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect::<Vec<_>>()
        .join("\r\n")
}

fn pct(s: &str, lower: bool) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b == b'.' || b == b'-' {
                (b as char).to_string()
            } else if lower {
                format!("%{b:02x}")
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[test]
fn plain_text_link() {
    let t = token();
    let raw = message(
        "Content-Type: text/plain\r\n",
        &format!("Looks dodgy:\r\nhttps://parcel-track.example/c/{t}\r\n"),
    );
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn quoted_printable_soft_break_splitting_the_token() {
    let t = token();
    // The break falls inside the token: `=\r\n` in the middle of it.
    let html = format!("<a href=\"https://parcel-track.example/c/{t}\">Track</a>");
    let split = html.find(t.as_str()).unwrap() + 9;
    let encoded = format!(
        "{}=\r\n{}",
        html[..split].replace('=', "=3D"),
        html[split..].replace('=', "=3D")
    );
    let raw = message(
        "Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n",
        &encoded,
    );
    assert_eq!(tokens_in_message(&raw), vec![t.clone()]);
    // And when the part is mislabelled, so only the raw fallback sees it.
    let raw = message("Content-Type: text/html; charset=utf-8\r\n", &encoded);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn html_entities() {
    let t = token();
    let href = format!("https&#58;&#x2F;&#x2f;parcel-track.example&sol;c&#47;{t}&amp;x=1");
    let raw = message(
        "Content-Type: text/html\r\n",
        &format!("<a href=\"{href}\">Track</a>"),
    );
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn percent_encoding_with_lower_case_hex_glues_without_decoding() {
    let t = token();
    // "%2f" then the token: undecoded, the "f" runs into it.
    let link = format!("https://linkprotect.cudasvc.com/url?a=https%3a%2f%2fparcel-track.example%2fc%2f{t}&c=E,1,abc");
    assert!(
        RecipientToken::find_all(&link).is_empty(),
        "the test must need decoding"
    );
    let raw = message("Content-Type: text/plain\r\n", &link);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn safe_links_wrapping() {
    let t = token();
    let original = format!("https://parcel-track.example/c/{t}");
    let wrapped = format!(
        "https://eur01.safelinks.protection.outlook.com/?url={}&data=05%7C02%7Calice%40practice.example%7C&sdata=abc%3D&reserved=0",
        pct(&original, false)
    );
    let html = format!(
        "<p>From: Parcels</p><a href=\"{}\">Track</a>",
        wrapped.replace('&', "&amp;")
    );
    let raw = message(
        "Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n",
        &qp_encode(&html),
    );
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn safe_links_around_a_percent_encoded_link_is_decoded_twice() {
    let t = token();
    let inner = format!("https://parcel-track.example/c%2f{t}");
    let wrapped = format!(
        "https://eur01.safelinks.protection.outlook.com/?url={}&data=05",
        pct(&inner, true)
    );
    let raw = message("Content-Type: text/plain\r\n", &wrapped);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn proofpoint_v3() {
    let t = token();
    let link = format!(
        "https://urldefense.com/v3/__https://parcel-track.example/c/{t}__;!!ABCdef!GhIjKl-MnOp$"
    );
    let raw = message("Content-Type: text/plain\r\n", &link);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn proofpoint_v2() {
    let t = token();
    // An escaped "&" ("-26") glues "26" onto the token until decoded.
    let link = format!(
        "https://urldefense.proofpoint.com/v2/url?u=https-3A__parcel-2Dtrack.example_c_x-3Fa-3Db-26{t}&d=DwMFaQ&c=abc&r=def&m=ghi&s=jkl&e="
    );
    assert!(
        RecipientToken::find_all(&link).is_empty(),
        "the test must need decoding"
    );
    let raw = message("Content-Type: text/plain\r\n", &link);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn rewriters_that_carry_the_address_in_a_parameter() {
    let (a, b) = (token(), token());
    let text = format!(
        "https://imsva91-ctp.trendmicro.com:443/wis/clicktime/v1/query?url=https%3a%2f%2fx.example%2fc%2f{a}&umid=1234\r\n\
         https://www.google.com/url?q=https://x.example/o/{b}&sa=D&source=editors\r\n"
    );
    let raw = message("Content-Type: text/plain\r\n", &text);
    let found = tokens_in_message(&raw);
    assert!(
        found.len() == 2 && found.contains(&a) && found.contains(&b),
        "{found:?}"
    );
}

#[test]
fn mimecast_links_are_opaque_so_the_headers_must_carry_it() {
    // Mimecast's /s/ links keep no trace of the original address; only a
    // copy forwarded as an attachment (with its headers) can be matched.
    let t = token();
    let inline = "<a href=\"https://protect-eu.mimecast.com/s/AbCdEfGhIjKlMnOp?domain=parcel-track.example\">Track</a>";
    assert!(tokens_in_message(&message("Content-Type: text/html\r\n", inline)).is_empty());
    let body = format!(
        "--b1\r\nContent-Type: text/html\r\n\r\n{inline}\r\n\
         --b1\r\nContent-Type: message/rfc822\r\n\r\n{}\r\n--b1--\r\n",
        simulated_original(&t, None)
    );
    let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn base64_wrapped_link() {
    let t = token();
    let original = format!("https://parcel-track.example/c/{t}");
    let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&original);
    let link = format!("https://eu-central-1.protection.sophos.com?d=parcel-track.example&u={b64}&i=NjE&t=Ym9i&h=abc");
    let raw = message("Content-Type: text/plain\r\n", &link);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn link_split_by_wbr_and_soft_hyphen() {
    let t = token();
    let (a, b) = t.as_str().split_at(10);
    let html = format!(
        "<p>https://parcel-track.example/c/{a}<wbr>{}&shy;{}</p>",
        &b[..4],
        &b[4..]
    );
    let raw = message("Content-Type: text/html\r\n", &html);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn link_wrapped_in_a_quoted_reply() {
    let t = token();
    let (a, b) = t.as_str().split_at(12);
    let text = format!(
        "See below\r\n\r\n> Track your parcel: https://parcel-track.example/c/{a}\r\n> {b}\r\n"
    );
    let raw = message("Content-Type: text/plain\r\n", &text);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn inline_forward_base64_html() {
    let t = token();
    let html = format!(
        "<div>Is this real?</div><hr><b>From:</b> Parcels &lt;noreply@parcel-track.example&gt;<br>\
         <a href=\"https://eur01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fparcel-track.example%2Fc%2F{t}&amp;data=05\">Track</a>"
    );
    let body = format!(
        "--b1\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nIs this real?\r\n\
         --b1\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        b64_lines(&html)
    );
    let raw = message(
        "Content-Type: multipart/alternative; boundary=\"b1\"\r\n",
        &body,
    );
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

fn simulated_original(t: &RecipientToken, body_token: Option<&RecipientToken>) -> String {
    let body = match body_token {
        Some(b) => format!("<a href=3D\"https://parcel-track.example/c/{b}\">Track</a>"),
        None => "<p>Your parcel is waiting.</p>".to_string(),
    };
    format!(
        "From: Parcels <noreply@parcel-track.example>\r\n\
         To: alice.smith@practice.example\r\n\
         Subject: Your parcel could not be delivered\r\n\
         Message-ID: <{t}@parcel-track.example>\r\n\
         X-Safety-Net-Simulation: {t}\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Transfer-Encoding: quoted-printable\r\n\r\n{body}\r\n"
    )
}

#[test]
fn forwarded_as_attachment() {
    let t = token();
    let body = format!(
        "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
         --b1\r\nContent-Type: message/rfc822\r\nContent-Disposition: attachment; filename=\"parcel.eml\"\r\n\r\n{}\r\n--b1--\r\n",
        simulated_original(&t, None)
    );
    let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn forwarded_as_base64_attachment_labelled_octet_stream() {
    let t = token();
    let body = format!(
        "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
         --b1\r\nContent-Type: application/octet-stream; name=\"parcel.eml\"\r\n\
         Content-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=\"parcel.eml\"\r\n\r\n{}\r\n--b1--\r\n",
        b64_lines(&simulated_original(&t, None))
    );
    let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn forwarded_as_base64_message_rfc822() {
    let t = token();
    let body = format!(
        "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
         --b1\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        b64_lines(&simulated_original(&t, None))
    );
    let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn outlook_msg_attachment_in_utf16() {
    let t = token();
    let mut msg = b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\0\0".to_vec();
    for u in format!("X-Safety-Net-Simulation: {t}\r\n").encode_utf16() {
        msg.extend_from_slice(&u.to_le_bytes());
    }
    let body = format!(
        "--b1\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n\
         --b1\r\nContent-Type: application/vnd.ms-outlook; name=\"parcel.msg\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
        base64::engine::general_purpose::STANDARD.encode(&msg)
    );
    let raw = message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &body);
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn reply_keeps_the_token_in_references() {
    let t = token();
    let raw = message(
        &format!("In-Reply-To: <{t}@parcel-track.example>\r\nReferences: <{t}@parcel-track.example>\r\nContent-Type: text/plain\r\n"),
        "Is this real?\r\n",
    );
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn no_token_gives_nothing() {
    let raw = message(
        "Content-Type: text/plain\r\n",
        "Hello, this email from our bank looks suspicious, please check abcdefghijklmnopqrstuv.\r\n\
         https://bank.example/login?session=aaaaaaaaaaaaaaaaaaaaaa\r\n",
    );
    assert_eq!(tokens_in_message(&raw), Vec::<RecipientToken>::new());
    assert_eq!(tokens_in_message(b""), Vec::<RecipientToken>::new());
}

#[test]
fn two_tokens_both_found_in_order() {
    let (a, b) = (token(), token());
    let raw = message(
        "Content-Type: text/plain\r\n",
        &format!("first https://x.example/c/{a}\r\nsecond https://x.example/o/{b}\r\n"),
    );
    assert_eq!(tokens_in_message(&raw), vec![a, b]);
}

#[test]
fn the_same_token_many_times_counts_once() {
    let t = token();
    let links: String = (0..50)
        .map(|i| format!("https://x.example/c/{t}?n={i} https://x.example/o/{t}\r\n"))
        .collect();
    let raw = message(
        &format!("X-Safety-Net-Simulation: {t}\r\nContent-Type: text/plain\r\nContent-Transfer-Encoding: quoted-printable\r\n"),
        &qp_encode(&links),
    );
    assert_eq!(tokens_in_message(&raw), vec![t]);
}

#[test]
fn reporter_and_date_come_from_the_forwarding_message() {
    let t = token();
    let raw = message(
        "Content-Type: text/plain\r\n",
        &format!("https://x.example/c/{t}\r\n"),
    );
    let a = analyse(&raw).unwrap();
    assert_eq!(a.reporter.as_deref(), Some("alice.smith@practice.example"));
    assert_eq!(a.date, Some(1_772_529_300)); // 2026-03-03T09:15:00Z
    assert_eq!(a.tokens, vec![t]);
}

#[test]
fn random_and_truncated_input_never_panics() {
    use rand::{Rng, SeedableRng};
    let mut rng = rand::rngs::StdRng::seed_from_u64(0x5afe_7e57);
    let t = token();
    let samples = [
        simulated_original(&t, Some(&t)).into_bytes(),
        message("Content-Type: multipart/mixed; boundary=\"b1\"\r\n", &format!(
            "--b1\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b1--\r\n",
            b64_lines(&simulated_original(&t, Some(&t)))
        )),
        message("Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n", &qp_encode(&format!(
            "<a href=\"https://urldefense.proofpoint.com/v2/url?u=https-3A__x.example_c_{t}&amp;d=1\">&#x</a>%%%2"
        ))),
    ];
    for sample in &samples {
        for cut in 0..sample.len() {
            let _ = tokens_in_message(&sample[..cut]);
        }
    }
    // Random bytes, weighted towards the characters the decoders react to.
    let alphabet = b"=%&#;<>_-3AaF\r\n\t :/?abcdefgh234567xX\x00\xff\xc3";
    for _ in 0..400 {
        let len = rng.gen_range(0..600);
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                if rng.gen_bool(0.7) {
                    alphabet[rng.gen_range(0..alphabet.len())]
                } else {
                    rng.gen()
                }
            })
            .collect();
        let _ = tokens_in_message(&bytes);
        let mut with_headers = b"Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\n".to_vec();
        with_headers.extend_from_slice(&bytes);
        let _ = tokens_in_message(&with_headers);
    }
    // Deep nesting of forwarded attachments.
    let mut nested = simulated_original(&t, None);
    for _ in 0..30 {
        nested = format!("Content-Type: message/rfc822\r\n\r\n{nested}");
    }
    assert_eq!(tokens_in_message(nested.as_bytes()), vec![t]);
}

mod fuzz {
    use super::super::*;
    use crate::simulation::fuzz;
    use proptest::prelude::*;

    fn pct(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(crate::simulation::fuzz::config(192))]

        /// Nothing that arrives in the reporting mailbox can stop the monitor.
        #[test]
        fn no_message_panics_the_parser(raw in fuzz::email()) {
            let _ = tokens_in_message(&raw);
        }

        /// A forwarded exercise link is found whatever wrapped, encoded and nested it.
        #[test]
        fn a_forwarded_link_is_found_whatever_the_wrapping(
            wrap in 0..4usize,
            encoding in 0..3usize,
            nesting in 0..3usize,
            before in "[a-zA-Z ,.]{0,200}",
            after in "[a-zA-Z ,.]{0,200}",
            lf in any::<bool>(),
        ) {
            let token = RecipientToken::generate();
            let link = format!("https://updates.example.org/c/{}", token.as_str());
            let (ctype, shown) = match wrap {
                0 => ("text/plain", link.clone()),
                1 => ("text/html", format!("<p><a href=\"{link}\">Open</a></p>")),
                2 => ("text/html", format!("<a href=\"{}\">x</a>", link.replace('/', "&#x2f;"))),
                _ => ("text/plain", format!("https://eur01.safelinks.protection.outlook.com/?url={}&amp;data=05", pct(&link))),
            };
            let body = format!("{before}\n{shown}\n{after}");
            let (cte, encoded) = match encoding {
                0 => ("7bit", body),
                1 => ("quoted-printable", fuzz::qp(&body)),
                _ => ("base64", fuzz::base64_lines(&body)),
            };
            let leaf = format!("Content-Type: {ctype}; charset=utf-8\r\nContent-Transfer-Encoding: {cte}\r\n\r\n{encoded}\r\n");
            let inner = match nesting {
                0 => leaf,
                1 => format!("Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nSee below.\r\n--zz\r\n{leaf}--zz--\r\n"),
                _ => format!("Content-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nForwarded as an attachment.\r\n--zz\r\nContent-Type: message/rfc822\r\n\r\nFrom: NHSmail <it@nhs-mail.example>\r\nSubject: Password expiry\r\nMIME-Version: 1.0\r\n{leaf}--zz--\r\n"),
            };
            let mut raw = format!("From: Alice <alice@practice.example>\r\nTo: reports@practice.example\r\nSubject: FW: Password expiry\r\nMIME-Version: 1.0\r\n{inner}");
            if lf {
                raw = raw.replace("\r\n", "\n");
            }
            let found = tokens_in_message(raw.as_bytes());
            prop_assert!(found.contains(&token), "not found in: {}", raw);
        }
    }
}
