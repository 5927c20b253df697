//! One streaming pass over an import file before anything is written: the whole file must be UTF-8 and
//! its quotes must balance, or nothing is imported and the error names the line.

use std::io::Read;
use std::path::Path;

use crate::error::{CoreError, Result};

pub struct Prescan {
    pub bytes: u64,
}

pub fn prescan(path: &Path) -> Result<Prescan> {
    let mut file = std::fs::File::open(path).map_err(|e| CoreError::io(format!("opening {}", path.display()), e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut carry: Vec<u8> = Vec::new();
    let mut line: u64 = 1;
    let mut in_quotes = false;
    let mut quote_opened_at = 0u64;
    let mut total = 0u64;
    loop {
        let n = file.read(&mut buf).map_err(|e| CoreError::io(format!("reading {}", path.display()), e))?;
        total += n as u64;
        if n == 0 {
            if !carry.is_empty() {
                return Err(bad_encoding(line));
            }
            break;
        }
        let mut chunk = std::mem::take(&mut carry);
        chunk.extend_from_slice(&buf[..n]);
        let valid_len = match std::str::from_utf8(&chunk) {
            Ok(_) => chunk.len(),
            // An incomplete character at the end continues in the next chunk.
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(e) => {
                let upto = &chunk[..e.valid_up_to()];
                return Err(bad_encoding(line + upto.iter().filter(|&&b| b == b'\n').count() as u64));
            }
        };
        for &b in &chunk[..valid_len] {
            match b {
                b'\n' => line += 1,
                b'"' => {
                    in_quotes = !in_quotes;
                    if in_quotes {
                        quote_opened_at = line;
                    }
                }
                _ => {}
            }
        }
        carry = chunk[valid_len..].to_vec();
    }
    if in_quotes {
        return Err(CoreError::ImportFileInvalid(format!(
            "line {quote_opened_at}: a quote opens a field that is never closed (unbalanced quotes)"
        )));
    }
    if total == 0 {
        return Err(CoreError::ImportFileInvalid("the file is empty".into()));
    }
    Ok(Prescan { bytes: total })
}

fn bad_encoding(line: u64) -> CoreError {
    CoreError::ImportFileInvalid(format!(
        "line {line}: the file is not UTF-8 text (save it from your spreadsheet as \"CSV UTF-8\")"
    ))
}
