//! The change-log file's body, sealed: it holds every synced row unmasked, so it travels encrypted and
//! tamper-evident. A key from the passphrase (PBKDF2-HMAC-SHA256 with a random salt named in the header),
//! then frames of JSON lines, each AES-256-GCM with its number as nonce and the header, its number and a
//! last-frame flag as associated data: a frame changed, swapped, dropped or cut off at the end is refused,
//! and so is a header changed after sealing.

use std::io::{Read, Write};

use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, AES_256_GCM};

use crate::error::{CoreError, Result};
use crate::secret::Secret;

/// Lines are gathered into frames of about this size.
const FRAME_BYTES: usize = 1 << 20;
/// The largest frame a reader accepts: one op's line may be a page of 10,000 entitlements.
pub const MAX_FRAME_BYTES: usize = 32 << 20;
const LAST: u8 = 1;

pub fn key(passphrase: &Secret, salt: &[u8], iterations: u32) -> LessSafeKey {
    let mut key = zeroize::Zeroizing::new([0u8; 32]);
    let rounds = std::num::NonZeroU32::new(iterations.max(1)).expect("at least one");
    ring::pbkdf2::derive(ring::pbkdf2::PBKDF2_HMAC_SHA256, rounds, salt, passphrase.expose().as_bytes(), &mut key[..]);
    LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &key[..]).expect("32-byte key"))
}

fn nonce(n: u64) -> Nonce {
    let mut bytes = [0u8; 12];
    bytes[4..].copy_from_slice(&n.to_be_bytes());
    Nonce::assume_unique_for_key(bytes)
}

fn aad(header: &[u8], n: u64, flags: u8) -> Vec<u8> {
    let mut a = ring::digest::digest(&ring::digest::SHA256, header).as_ref().to_vec();
    a.extend_from_slice(&n.to_be_bytes());
    a.push(flags);
    a
}

fn tampered() -> CoreError {
    CoreError::InvalidInput(
        "the change log cannot be opened: a wrong passphrase, or a file changed or cut short since it was written"
            .into(),
    )
}

/// Writes sealed frames after the header line.
pub struct Sealer<'w> {
    key: LessSafeKey,
    header: Vec<u8>,
    out: &'w mut dyn Write,
    frame: Vec<u8>,
    n: u64,
}

impl<'w> Sealer<'w> {
    pub fn new(key: LessSafeKey, header: &[u8], out: &'w mut dyn Write) -> Self {
        Sealer { key, header: header.to_vec(), out, frame: Vec::with_capacity(FRAME_BYTES), n: 0 }
    }

    pub fn line(&mut self, line: &[u8]) -> Result<()> {
        self.frame.extend_from_slice(line);
        self.frame.push(b'\n');
        if self.frame.len() >= FRAME_BYTES {
            self.seal(0)?;
        }
        Ok(())
    }

    /// Seals what is left as the last frame (possibly empty), which marks the file complete.
    pub fn finish(mut self) -> Result<()> {
        self.seal(LAST)
    }

    fn seal(&mut self, flags: u8) -> Result<()> {
        let mut buf = std::mem::take(&mut self.frame);
        self.key
            .seal_in_place_append_tag(nonce(self.n), Aad::from(aad(&self.header, self.n, flags)), &mut buf)
            .map_err(|_| CoreError::Internal("sealing the change log".into()))?;
        let io = |e| CoreError::io("writing the change log", e);
        self.out.write_all(&(buf.len() as u32).to_le_bytes()).map_err(io)?;
        self.out.write_all(&[flags]).map_err(io)?;
        self.out.write_all(&buf).map_err(io)?;
        self.n += 1;
        self.frame = Vec::with_capacity(FRAME_BYTES);
        Ok(())
    }
}

/// Reads the lines of sealed frames, refusing anything changed, reordered or cut short.
pub struct Opener<R: Read> {
    key: LessSafeKey,
    header: Vec<u8>,
    input: R,
    lines: std::collections::VecDeque<Vec<u8>>,
    n: u64,
    done: bool,
}

impl<R: Read> Opener<R> {
    pub fn new(key: LessSafeKey, header: &[u8], input: R) -> Self {
        Opener { key, header: header.to_vec(), input, lines: Default::default(), n: 0, done: false }
    }

    pub fn next_line(&mut self) -> Result<Option<Vec<u8>>> {
        while self.lines.is_empty() {
            if self.done {
                return Ok(None);
            }
            self.open_frame()?;
        }
        Ok(self.lines.pop_front())
    }

    fn open_frame(&mut self) -> Result<()> {
        let mut head = [0u8; 5];
        if let Err(e) = self.input.read_exact(&mut head) {
            return Err(match e.kind() {
                std::io::ErrorKind::UnexpectedEof => tampered(),
                _ => CoreError::io("reading the change log", e),
            });
        }
        let len = u32::from_le_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let flags = head[4];
        if len > MAX_FRAME_BYTES + 16 || flags & !LAST != 0 {
            return Err(tampered());
        }
        let mut buf = vec![0u8; len];
        self.input.read_exact(&mut buf).map_err(|_| tampered())?;
        let plain = self
            .key
            .open_in_place(nonce(self.n), Aad::from(aad(&self.header, self.n, flags)), &mut buf)
            .map_err(|_| tampered())?;
        self.lines.extend(plain.split(|&b| b == b'\n').filter(|l| !l.is_empty()).map(<[u8]>::to_vec));
        self.n += 1;
        if flags & LAST != 0 {
            self.done = true;
            let mut extra = [0u8; 1];
            if self.input.read(&mut extra).map_err(|e| CoreError::io("reading the change log", e))? > 0 {
                return Err(tampered());
            }
        }
        Ok(())
    }
}
