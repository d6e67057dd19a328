use super::*;
use proptest::prelude::*;

/// Deterministic, non-repeating-ish bytes.
fn bytes(len: usize) -> Vec<u8> {
    let mut state: u32 = 0x1234_5678;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state.to_le_bytes()[0]
        })
        .collect()
}

/// 12 MiB of [`bytes`], made once.
fn twelve_mib() -> &'static [u8] {
    static DATA: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DATA.get_or_init(|| bytes(12 << 20))
}

/// The multipart ETag of `data` in parts of `part_size`, computed independently.
fn etag(data: &[u8], part_size: usize) -> String {
    let mut concat = Vec::new();
    let chunks: Vec<&[u8]> = if data.is_empty() {
        vec![&[][..]]
    } else {
        data.chunks(part_size).collect()
    };
    for chunk in &chunks {
        concat.extend_from_slice(&Md5::digest(chunk));
    }
    format!("{}-{}", md5_hex(&concat), chunks.len())
}

fn run(check: &mut SequentialCheck, data: &[u8], chunk: usize) {
    for piece in data.chunks(chunk.max(1)) {
        check.update(piece);
    }
}

#[test]
fn known_vectors() {
    assert_eq!(md5_hex(b"hello"), "5d41402abc4b2a76b9719d911017c592");
    assert_eq!(md5_hex(b""), "d41d8cd98f00b204e9800998ecf8427e");
    assert_eq!(hex(&[0, 0xab, 0xff]), "00abff");
    let expected = Expected::parse("\"5D41402ABC4B2A76B9719D911017C592\"", 5);
    let mut check = SequentialCheck::new(&expected, 5, MAX_CANDIDATES);
    check.update(b"hel");
    check.update(b"lo");
    assert_eq!(check.finish(), Ok(Verification::Md5));
    let empty = Expected::parse("d41d8cd98f00b204e9800998ecf8427e", 0);
    let check = SequentialCheck::new(&empty, 0, MAX_CANDIDATES);
    assert_eq!(check.finish(), Ok(Verification::Md5));
    // One empty part: md5(md5(""))-1.
    let mut one = LayoutDigests::new(8 * MIB);
    one.update(b"");
    assert_eq!(one.finish(), etag(b"", 1));
    assert_eq!(etag_of_part_md5s(&[Md5::digest(b"").into()]), etag(b"", 1));
}

#[test]
fn parse() {
    let md5 = "5d41402abc4b2a76b9719d911017c592";
    assert!(matches!(Expected::parse(md5, 5), Expected::Md5(_)));
    assert!(matches!(
        Expected::parse(&format!("{md5}-3"), 20 * MIB),
        Expected::Multipart { parts: 3, .. }
    ));
    assert!(matches!(
        Expected::parse(&format!("{md5}-20000"), 1 << 40),
        Expected::Multipart { parts: 20_000, .. }
    ));
    assert!(matches!(
        Expected::parse(&format!("{md5}-1"), 0),
        Expected::Multipart { parts: 1, .. }
    ));
    for bad in [
        String::new(),
        "  ".into(),
        format!("{md5}-0"),
        format!("{md5}-"),
        format!("{md5}-+3"),
        format!("{md5}-x"),
        format!("{md5}-6"),
        md5[1..].into(),
        "zz41402abc4b2a76b9719d911017c592".into(),
        "AQIDBAUGBwgJCgsMDQ4PEA==".into(),
        format!("{md5}{md5}"),
    ] {
        let parsed = Expected::parse(&bad, 5);
        assert!(
            matches!(parsed, Expected::Unknown { .. }),
            "{bad}: {parsed:?}"
        );
    }
    let Expected::Unknown { reason } = Expected::parse(&format!("{md5}-6"), 5) else {
        unreachable!()
    };
    assert!(reason.contains("6 parts"), "{reason}");
}

#[test]
fn a_wrong_byte_is_a_mismatch_for_an_md5() {
    let data = bytes(3000);
    let expected = Expected::parse(&md5_hex(&data), 3000);
    let mut wrong = data.clone();
    wrong[1234] ^= 1;
    let mut check = SequentialCheck::new(&expected, 3000, MAX_CANDIDATES);
    run(&mut check, &wrong, 700);
    let mismatch = check.finish().unwrap_err();
    assert_eq!(mismatch.expected, md5_hex(&data));
    assert_eq!(mismatch.actual, md5_hex(&wrong));
    // A short stream is a mismatch whatever the checksum.
    let unknown = Expected::parse("", 3000);
    let mut check = SequentialCheck::new(&unknown, 3000, MAX_CANDIDATES);
    run(&mut check, &data[..2999], 1000);
    assert_eq!(
        check.finish().unwrap_err().to_string(),
        "expected 3000 bytes, got 2999 bytes"
    );
}

#[test]
fn a_multipart_etag_of_an_unusual_layout_is_not_verifiable() {
    let size = 12 * MIB;
    let data = twelve_mib();
    // 4.5 MiB parts: three of them, but no uploader's choice.
    let expected = Expected::parse(&etag(data, 4608 * 1024), size);
    let mut check = SequentialCheck::new(&expected, size, MAX_CANDIDATES);
    run(&mut check, data, 1 << 20);
    let Ok(Verification::NotVerifiable { reason }) = check.finish() else {
        unreachable!()
    };
    assert!(reason.contains("-3 matches none"), "{reason}");
    assert!(reason.contains("(5 MiB, 4 MiB, 5 MB, 6 MB)"), "{reason}");
    // Asserting that layout proves it; asserting another is a mismatch.
    let mut check = SequentialCheck::with_layout(&expected, size, 4608 * 1024);
    run(&mut check, data, 3 << 20);
    let verified = check.finish().unwrap();
    assert_eq!(
        verified.to_string(),
        "multipart ETag verified (3 parts of 4718592 bytes (~4.5 MiB))"
    );
    let mut check = SequentialCheck::with_layout(&expected, size, 5 * MIB);
    run(&mut check, data, 3 << 20);
    let mismatch = check.finish().unwrap_err();
    assert_eq!(mismatch.actual, etag(data, 5 << 20));
}

#[test]
fn a_five_mib_layout_is_found_and_the_fast_path_agrees() {
    let size = 12 * MIB;
    let data = twelve_mib();
    let expected = Expected::parse(&etag(data, 5 << 20).to_uppercase(), size);
    let mut check = SequentialCheck::new(&expected, size, MAX_CANDIDATES);
    run(&mut check, data, 999_983);
    let verified = check.finish().unwrap();
    let layout = PartLayout {
        part_size: 5 * MIB,
        parts: 3,
    };
    assert_eq!(verified, Verification::MultipartEtag { layout });
    assert!(verified.is_verified());
    assert_eq!(
        verified.to_string(),
        "multipart ETag verified (3 parts of 5 MiB)"
    );
    let digests: Vec<[u8; 16]> = data
        .chunks(5 << 20)
        .map(|c| Md5::digest(c).into())
        .collect();
    assert_eq!(etag_of_part_md5s(&digests), etag(data, 5 << 20));
    assert_eq!(
        check_part_md5s(&expected, 5 * MIB, size, &digests),
        Some(verified)
    );
    let other: Vec<[u8; 16]> = data
        .chunks(4 << 20)
        .map(|c| Md5::digest(c).into())
        .collect();
    assert_eq!(check_part_md5s(&expected, 4 * MIB, size, &other), None);
    // One part covering an object checked by MD5.
    let md5 = Expected::parse(&md5_hex(data), size);
    let whole = [Md5::digest(data).into()];
    assert_eq!(
        check_part_md5s(&md5, size, size, &whole),
        Some(Verification::Md5)
    );
    assert_eq!(check_part_md5s(&md5, 5 * MIB, size, &digests), None);
    let unknown = Expected::parse("", size);
    assert!(matches!(
        check_part_md5s(&unknown, 5 * MIB, size, &digests),
        Some(Verification::NotVerifiable { .. })
    ));
}

#[test]
fn verification_serializes_and_displays() {
    let layout = PartLayout {
        part_size: 8 * MIB,
        parts: 3,
    };
    let verified = Verification::MultipartEtag { layout };
    assert_eq!(
        serde_json::to_string(&verified).unwrap(),
        r#"{"kind":"multipart_etag","layout":{"part_size":8388608,"parts":3}}"#
    );
    assert_eq!(
        serde_json::to_string(&Verification::Md5).unwrap(),
        r#"{"kind":"md5"}"#
    );
    assert_eq!(
        verified.to_string(),
        "multipart ETag verified (3 parts of 8 MiB)"
    );
    assert_eq!(Verification::Md5.to_string(), "MD5 verified");
    assert_eq!(Verification::Skipped.to_string(), "not checked");
    assert!(!Verification::Skipped.is_verified());
    let not = Verification::NotVerifiable {
        reason: "why".into(),
    };
    assert_eq!(not.to_string(), "not verifiable: why");
    assert_eq!(human_size(5_100_000), "5.1 MB");
    assert_eq!(human_size(5 * GIB), "5 GiB");
    assert_eq!(human_size(4 * MIB + 1), "4194305 bytes (~4.0 MiB)");
}

#[test]
fn candidates_of_a_few_layouts() {
    assert_eq!(candidate_part_sizes(0, 1), vec![1]);
    assert_eq!(candidate_part_sizes(100, 1), vec![100]);
    assert!(candidate_part_sizes(0, 2).is_empty());
    assert!(candidate_part_sizes(10, 6).is_empty());
    assert_eq!(
        candidate_part_sizes(12 * MIB, 3),
        vec![5 * MIB, 4 * MIB, 5 * MB, 6 * MB]
    );
    let first = candidate_part_sizes(20 * MIB + 1, 3);
    assert_eq!(first[0], 8 * MIB);
    // Past 80,000 MiB the SDK's plan grows its parts to whole MiB; aws doubles them.
    let size = 100_000 * MIB;
    assert_eq!(candidate_part_sizes(size, 10_000), vec![10 * MIB]);
    assert_eq!(candidate_part_sizes(size, 6_250)[0], 16 * MIB);
}

#[test]
fn check_file_reads_a_file() {
    let path = std::env::temp_dir().join(format!(
        "lakefs-download-verify-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    ));
    let data = bytes((17 * MIB + 3) as usize);
    std::fs::write(&path, &data).unwrap();
    let size = data.len() as u64;
    let cancel = AtomicBool::new(false);
    let md5 = Expected::parse(&md5_hex(&data), size);
    assert_eq!(
        check_file(&path, &md5, size, None, &cancel).unwrap(),
        Ok(Verification::Md5)
    );
    let multipart = Expected::parse(&etag(&data, 8 << 20), size);
    let found = check_file(&path, &multipart, size, Some(5 * MIB), &cancel).unwrap();
    assert_eq!(
        found.unwrap().to_string(),
        "multipart ETag verified (3 parts of 8 MiB)"
    );
    let Ok(Verification::NotVerifiable { reason }) =
        check_file(&path, &multipart, size, Some(8 * MIB), &cancel).unwrap()
    else {
        unreachable!()
    };
    assert!(reason.contains("tried (8 MiB, "), "{reason}");
    let unknown = Expected::parse("", size);
    assert!(check_file(&path, &unknown, size + 1, None, &cancel)
        .unwrap()
        .is_err());
    cancel.store(true, Ordering::Relaxed);
    let error = check_file(&path, &md5, size, None, &cancel).unwrap_err();
    assert_eq!(error.kind(), std::io::ErrorKind::Interrupted);
    std::fs::remove_file(&path).unwrap();
}

fn parts_of(size: u64, part_size: u64) -> u32 {
    u32::try_from(size.div_ceil(part_size).max(1)).unwrap()
}

proptest! {
    #[test]
    fn every_candidate_gives_the_part_count(
        size in prop_oneof![1u64..100 * MIB, 1u64..=50_000 * GIB],
        parts in prop_oneof![1u32..20, 1u32..=10_000],
    ) {
        let candidates = candidate_part_sizes(size, parts);
        prop_assert!(candidates.len() <= MAX_CANDIDATES);
        for (i, &p) in candidates.iter().enumerate() {
            prop_assert!(p >= 1);
            prop_assert_eq!(parts_of(size, p), parts, "candidate {} of {:?}", p, candidates);
            prop_assert!(!candidates[..i].contains(&p), "duplicate {}", p);
        }
        let uniform = u64::from(parts) <= size
            && (parts == 1 || size.div_ceil(u64::from(parts)) <= (size - 1) / u64::from(parts - 1));
        prop_assert_eq!(candidates.is_empty(), !uniform);
        if uniform {
            prop_assert!(candidates.contains(&size.div_ceil(u64::from(parts))) || parts == 1);
        }
    }

    #[test]
    fn common_layouts_are_candidates(
        size in prop_oneof![1u64..200 * MIB, 1u64..=5 * GIB * 10_000],
        mib in prop_oneof![Just(5u64), Just(8), Just(16), Just(64), 1u64..=512],
    ) {
        let p = mib * MIB;
        prop_assume!(size.div_ceil(p) <= 10_000);
        let parts = parts_of(size, p);
        let candidates = candidate_part_sizes(size, parts);
        if parts == 1 {
            prop_assert_eq!(candidates, vec![size]);
        } else {
            // Where p stands among the whole MiB that fit.
            let rank = (p - size.div_ceil(u64::from(parts)).div_ceil(MIB) * MIB) / MIB;
            if [5, 8, 16, 64].contains(&mib) || mib.is_power_of_two() || rank < 4 {
                prop_assert!(candidates.contains(&p), "{} not in {:?}", p, candidates);
            }
        }
        // This SDK's plan comes first.
        let sdk = sdk_part_size(size);
        if sdk < MAX_PART_SIZE && size > sdk {
            prop_assert_eq!(candidate_part_sizes(size, parts_of(size, sdk))[0], sdk);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    #[test]
    fn chunking_does_not_change_the_etag(
        chunks in proptest::collection::vec(1usize..3 * MIB as usize, 1..12),
    ) {
        let size = 12 * MIB;
        let data = twelve_mib();
        let want = etag(data, 5 << 20);
        let mut layout = LayoutDigests::new(5 * MIB);
        let mut check = SequentialCheck::new(&Expected::parse(&want, size), size, 3);
        let mut rest = data;
        for chunk in chunks.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (head, tail) = rest.split_at((*chunk).min(rest.len()));
            layout.update(head);
            check.update(head);
            rest = tail;
        }
        prop_assert_eq!(layout.finish(), want);
        let layout = PartLayout { part_size: 5 * MIB, parts: 3 };
        prop_assert_eq!(check.finish(), Ok(Verification::MultipartEtag { layout }));
    }
}
