//! [xid](https://github.com/rs/xid)s, the ids lakeFS gives link addresses and pull requests:
//! 12 bytes (4-byte big-endian Unix time, 3-byte machine id, 2-byte process id, 3-byte
//! counter) written as 20 lowercase base32hex characters.

const ALPHABET: &[u8; 32] = b"0123456789abcdefghijklmnopqrstuv";

/// Mints xids: a random machine and process id, a counter starting at a random value.
#[derive(Debug)]
pub(crate) struct XidSource {
    machine: [u8; 3],
    process: [u8; 2],
    counter: u32,
}

impl XidSource {
    pub(crate) fn new() -> Self {
        let random = fastrand::u64(..).to_be_bytes();
        Self {
            machine: [random[0], random[1], random[2]],
            process: [random[3], random[4]],
            counter: fastrand::u32(..),
        }
    }

    /// A new xid whose time field is `time` (truncated to 32 bits, as xid does).
    pub(crate) fn next(&mut self, time: i64) -> String {
        self.counter = self.counter.wrapping_add(1);
        let mut id = [0u8; 12];
        // Truncation to the low 32 bits is xid's own behaviour (`uint32(t.Unix())`).
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        id[..4].copy_from_slice(&(time as u32).to_be_bytes());
        id[4..7].copy_from_slice(&self.machine);
        id[7..9].copy_from_slice(&self.process);
        id[9..].copy_from_slice(&self.counter.to_be_bytes()[1..]);
        encode(&id)
    }
}

/// The 20-character form: the 96 bits in 5-bit groups, padded with 4 zero bits.
fn encode(id: &[u8; 12]) -> String {
    let mut out = String::with_capacity(20);
    let mut buffer: u32 = 0;
    let mut bits = 0;
    for &byte in id {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    out
}

/// The 12 bytes of a valid xid (20 base32hex characters whose padding bits are zero).
pub(crate) fn decode(text: &str) -> Option<[u8; 12]> {
    if text.len() != 20 {
        return None;
    }
    let mut id = [0u8; 12];
    let mut buffer: u32 = 0;
    let mut bits = 0;
    let mut index = 0;
    for c in text.bytes() {
        let value = ALPHABET.iter().position(|&a| a == c)?;
        buffer = (buffer << 5) | u32::try_from(value).ok()?;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            *id.get_mut(index)? = u8::try_from((buffer >> bits) & 0xff).ok()?;
            index += 1;
        }
    }
    // The 4 bits left over must be the zero padding.
    (index == 12 && buffer & 0xf == 0).then_some(id)
}

/// The time field of an xid.
pub(crate) fn time_of(text: &str) -> Option<u32> {
    let id = decode(text)?;
    Some(u32::from_be_bytes([id[0], id[1], id[2], id[3]]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_matches_the_reference_encoding() {
        // From rs/xid's tests: this id's string form.
        let id = [
            0x4d, 0x88, 0xe1, 0x5b, 0x60, 0xf4, 0x86, 0xe4, 0x28, 0x41, 0x2d, 0xc9,
        ];
        assert_eq!(encode(&id), "9m4e2mr0ui3e8a215n4g");
        assert_eq!(decode("9m4e2mr0ui3e8a215n4g"), Some(id));
        assert_eq!(decode("9m4e2mr0ui3e8a215n4h"), None, "padding bits set");
        assert_eq!(decode("9m4e2mr0ui3e8a215n4"), None);
        assert_eq!(decode("9m4e2mr0ui3e8a215n4z"), None);
        let mut source = XidSource::new();
        let a = source.next(1_700_000_000);
        let b = source.next(1_700_000_000);
        assert_ne!(a, b);
        assert_eq!(time_of(&a), Some(1_700_000_000));
    }
}
