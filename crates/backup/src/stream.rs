//! Moving bytes: compressing a dump as it streams out of `pg_dump` (zstd,
//! multi-threaded) while hashing what is written, and reading a backup file
//! back while hashing what is read.

use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::layout::create_private_file;
use crate::progress::Progress;

/// zstd level: 3 is zstd's default, faster and smaller than gzip -6.
const LEVEL: i32 = 3;

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// Bytes read from the source.
    pub uncompressed: u64,
    /// Bytes on disk.
    pub compressed: u64,
    /// SHA-256 of the bytes on disk, hex.
    pub sha256: String,
}

/// Compresses everything `source` yields into a new private file at `path`,
/// synced to disk before returning.
pub fn compress_to(mut source: impl Read, path: &Path, progress: &Progress) -> Result<Written> {
    let file = create_private_file(path)?;
    let hashing = HashingWriter::new(BufWriter::with_capacity(1 << 20, file));
    let mut encoder = zstd::Encoder::new(hashing, LEVEL).map_err(|e| Error::io(path, e))?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
    encoder.multithread(threads).map_err(|e| Error::io(path, e))?;
    encoder.include_checksum(true).map_err(|e| Error::io(path, e))?;
    let mut buf = vec![0u8; 1 << 20];
    let mut uncompressed = 0u64;
    loop {
        let n = match source.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(Error::io(path, e)),
        };
        encoder.write_all(&buf[..n]).map_err(|e| Error::io(path, e))?;
        uncompressed += n as u64;
        progress.advance(n as u64);
    }
    let hashing = encoder.finish().map_err(|e| Error::io(path, e))?;
    let (writer, compressed, sha256) = hashing.finish();
    let file = writer.into_inner().map_err(|e| Error::io(path, e.into_error()))?;
    file.sync_all().map_err(|e| Error::io(path, e))?;
    Ok(Written {
        uncompressed,
        compressed,
        sha256,
    })
}

/// Decompresses `path` into `sink`, returning the SHA-256 (hex) of the file
/// and the number of bytes written to `sink`. A corrupt or truncated file is
/// an error.
pub fn decompress_from(path: &Path, mut sink: impl Write, progress: &Progress) -> Result<(String, u64)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hashing = HashingReader::new(BufReader::with_capacity(1 << 20, file));
    let written = {
        let mut decoder = zstd::Decoder::with_buffer(&mut hashing).map_err(|e| Error::io(path, e))?;
        let mut buf = vec![0u8; 1 << 20];
        let mut total = 0u64;
        loop {
            let n = match decoder.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(Error::io(path, e)),
            };
            sink.write_all(&buf[..n]).map_err(|e| Error::io(path, e))?;
            total += n as u64;
            progress.advance(n as u64);
        }
        total
    };
    // Anything after the compressed frame still counts towards the checksum.
    io::copy(&mut hashing, &mut io::sink()).map_err(|e| Error::io(path, e))?;
    Ok((hashing.hex(), written))
}

/// SHA-256 of a file, hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let mut hashing = HashingReader::new(BufReader::with_capacity(1 << 20, file));
    io::copy(&mut hashing, &mut io::sink()).map_err(|e| Error::io(path, e))?;
    Ok(hashing.hex())
}

struct HashingWriter<W> {
    inner: W,
    hasher: Sha256,
    bytes: u64,
}

impl<W: Write> HashingWriter<W> {
    fn new(inner: W) -> Self {
        HashingWriter {
            inner,
            hasher: Sha256::new(),
            bytes: 0,
        }
    }

    fn finish(self) -> (W, u64, String) {
        (self.inner, self.bytes, hex(self.hasher.finalize().as_slice()))
    }
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
}

impl<R: Read> HashingReader<R> {
    fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: Sha256::new(),
        }
    }

    fn hex(&self) -> String {
        hex(self.hasher.clone().finalize().as_slice())
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

impl<R: io::BufRead> io::BufRead for HashingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if let Ok(buf) = self.inner.fill_buf() {
            let taken = amt.min(buf.len());
            self.hasher.update(&buf[..taken]);
        }
        self.inner.consume(amt);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_hashes_agree_and_corruption_is_caught() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.zst");
        let data: Vec<u8> = (0..3_000_000u32).flat_map(|i| (i % 251).to_le_bytes()).collect();
        let written = compress_to(&data[..], &path, &Progress::hidden()).unwrap();
        assert_eq!(written.uncompressed, data.len() as u64);
        assert_eq!(written.sha256, sha256_file(&path).unwrap());
        let mut out = Vec::new();
        let (sha, n) = decompress_from(&path, &mut out, &Progress::hidden()).unwrap();
        assert_eq!((sha, n), (written.sha256.clone(), data.len() as u64));
        assert_eq!(out, data);

        let mut bytes = std::fs::read(&path).unwrap();
        let middle = bytes.len() / 2;
        bytes[middle] ^= 0x40;
        std::fs::write(&path, &bytes).unwrap();
        assert_ne!(sha256_file(&path).unwrap(), written.sha256);
        assert!(decompress_from(&path, std::io::sink(), &Progress::hidden()).is_err());

        bytes.truncate(middle);
        std::fs::write(&path, &bytes).unwrap();
        assert!(decompress_from(&path, std::io::sink(), &Progress::hidden()).is_err());
    }
}
