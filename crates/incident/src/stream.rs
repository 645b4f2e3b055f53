//! One side of a comparison: a query's rows read with `COPY (query) TO
//! STDOUT (FORMAT binary)` on a thread of its own and handed over in
//! batches through a bounded channel. The two databases are read, and each
//! server computes its side, at the same time as the merge runs; at most
//! [`BATCHES_AHEAD`] batches of [`BATCH_ROWS`] rows are held per side,
//! whatever the table's size. A row is kept as COPY sent it (its fields'
//! lengths and bytes), nothing decoded until the merge needs it.
//!
//! Why not `postgres::binary_copy::BinaryCopyOutIter`: it needs every
//! column's type up front and decodes each row into typed values, one
//! allocation per row; the merge only compares the key's bytes and the
//! hash, so the binary COPY framing (a fixed header, then per row a field
//! count and length-prefixed fields, as PostgreSQL's documentation of
//! `COPY … (FORMAT binary)` lays out) is read here directly.

use std::io::{BufRead, Read};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::Scope;

/// Rows per batch.
pub const BATCH_ROWS: usize = 4096;

/// Batches a reader may be ahead of the merge.
pub const BATCHES_AHEAD: usize = 4;

/// The start of every binary COPY stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";

/// Rows as COPY sent them, one after the other; `ends[i]` is where row `i` ends.
#[derive(Default)]
struct Batch {
    bytes: Vec<u8>,
    ends: Vec<usize>,
}

/// What a reader sends: a batch, the end (an empty batch) or its error.
type Message = anyhow::Result<Batch>;

/// One row: each field a big-endian 32-bit length (`-1`: NULL) and its bytes.
#[derive(Debug, Clone, Copy)]
pub struct Row<'a>(pub &'a [u8]);

impl<'a> Row<'a> {
    /// The fields in order (`None`: NULL).
    pub fn fields(self) -> Fields<'a> {
        Fields(self.0)
    }

    /// Field `i`, `None` when NULL or missing.
    pub fn field(self, i: usize) -> Option<&'a [u8]> {
        self.fields().nth(i).flatten()
    }
}

/// The fields of a [`Row`].
#[derive(Debug, Clone)]
pub struct Fields<'a>(&'a [u8]);

impl<'a> Iterator for Fields<'a> {
    type Item = Option<&'a [u8]>;

    fn next(&mut self) -> Option<Self::Item> {
        let (length, rest) = self.0.split_first_chunk::<4>()?;
        let length = i32::from_be_bytes(*length);
        if length < 0 {
            self.0 = rest;
            return Some(None);
        }
        let (value, rest) = rest.split_at(length as usize);
        self.0 = rest;
        Some(Some(value))
    }
}

/// The rows of one query, read by a thread of a [`Scope`].
pub struct Stream {
    rows: Receiver<Message>,
    batch: Batch,
    at: usize,
    ended: bool,
}

impl Stream {
    /// Starts reading `query` (whose rows have `fields` columns) on `client`
    /// in a thread of `scope`; [`Stream::advance`] gives the first row.
    pub fn spawn<'scope>(
        scope: &'scope Scope<'scope, '_>,
        client: &'scope mut postgres::Client,
        query: String,
        fields: usize,
    ) -> Stream {
        let (sender, rows) = sync_channel(BATCHES_AHEAD);
        scope.spawn(move || {
            if let Err(e) = read(client, &query, fields, &sender) {
                let _ = sender.send(Err(e));
            }
        });
        Stream {
            rows,
            batch: Batch::default(),
            at: 0,
            ended: false,
        }
    }

    /// The current row, `None` once every row was read.
    pub fn row(&self) -> Option<Row<'_>> {
        let end = *self.batch.ends.get(self.at)?;
        let start = match self.at {
            0 => 0,
            at => self.batch.ends[at - 1],
        };
        Some(Row(&self.batch.bytes[start..end]))
    }

    /// Moves to the next row (to the first on the first call).
    pub fn advance(&mut self) -> anyhow::Result<()> {
        if self.at + 1 < self.batch.ends.len() {
            self.at += 1;
            return Ok(());
        }
        self.at = 0;
        self.batch = Batch::default();
        if self.ended {
            return Ok(());
        }
        match self.rows.recv() {
            Ok(Ok(batch)) => {
                self.ended = batch.ends.is_empty();
                self.batch = batch;
                Ok(())
            }
            Ok(Err(e)) => Err(e),
            // Never silently short: a reader ends with an empty batch or an error.
            Err(_) => anyhow::bail!("the reading of a table stopped before its end"),
        }
    }
}

/// Reads `query`'s rows into batches sent on `sender`, then the end.
fn read(
    client: &mut postgres::Client,
    query: &str,
    fields: usize,
    sender: &SyncSender<Message>,
) -> anyhow::Result<()> {
    let mut copy = client.copy_out(&format!("COPY ({query}) TO STDOUT (FORMAT binary)"))?;
    let mut header = [0u8; 19];
    copy.read_exact(&mut header)?;
    anyhow::ensure!(header.starts_with(SIGNATURE), "not a binary COPY stream");
    let extension = u32::from_be_bytes(header[15..19].try_into().expect("4 bytes"));
    std::io::copy(&mut (&mut copy).take(u64::from(extension)), &mut std::io::sink())?;
    let mut batch = Batch::default();
    loop {
        // PostgreSQL sends a row per message: taken whole from the buffer
        // when it is there, else field by field across messages.
        let buffered = copy.fill_buf()?;
        let whole = whole_row(buffered, fields);
        match whole {
            Some(0) => {
                copy.consume(2);
                break;
            }
            Some(length) => {
                batch.bytes.extend_from_slice(&buffered[2..length]);
                copy.consume(length);
            }
            None => {
                let mut count = [0u8; 2];
                copy.read_exact(&mut count)?;
                let count = i16::from_be_bytes(count);
                if count == -1 {
                    break;
                }
                anyhow::ensure!(
                    count as usize == fields,
                    "a row of {count} fields, {fields} expected"
                );
                for _ in 0..fields {
                    let mut length = [0u8; 4];
                    copy.read_exact(&mut length)?;
                    batch.bytes.extend_from_slice(&length);
                    if let Ok(length) = usize::try_from(i32::from_be_bytes(length)) {
                        let start = batch.bytes.len();
                        batch.bytes.resize(start + length, 0);
                        copy.read_exact(&mut batch.bytes[start..])?;
                    }
                }
            }
        }
        batch.ends.push(batch.bytes.len());
        if batch.ends.len() == BATCH_ROWS && sender.send(Ok(std::mem::take(&mut batch))).is_err() {
            // The merge stopped (on an error of its own).
            return Ok(());
        }
    }
    // The end of the COPY, so that the session is ready for the next query.
    std::io::copy(&mut copy, &mut std::io::sink())?;
    drop(copy);
    if !batch.ends.is_empty() && sender.send(Ok(batch)).is_err() {
        return Ok(());
    }
    let _ = sender.send(Ok(Batch::default()));
    Ok(())
}

/// The length of the row of `fields` fields at the start of `buffer` when
/// it is all there (`Some(0)`: the end of the rows), else `None`.
fn whole_row(buffer: &[u8], fields: usize) -> Option<usize> {
    let (count, mut rest) = buffer.split_first_chunk::<2>()?;
    match i16::from_be_bytes(*count) {
        -1 => return Some(0),
        count if count as usize != fields => return None,
        _ => {}
    }
    for _ in 0..fields {
        let (length, after) = rest.split_first_chunk::<4>()?;
        let length = usize::try_from(i32::from_be_bytes(*length)).unwrap_or(0);
        rest = after.get(length..)?;
    }
    Some(buffer.len() - rest.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_read_with_their_lengths_and_nulls() {
        let mut bytes = Vec::new();
        bytes.extend_from_slice(&3i32.to_be_bytes());
        bytes.extend_from_slice(b"abc");
        bytes.extend_from_slice(&(-1i32).to_be_bytes());
        bytes.extend_from_slice(&0i32.to_be_bytes());
        let row = Row(&bytes);
        assert_eq!(
            row.fields().collect::<Vec<_>>(),
            [Some(&b"abc"[..]), None, Some(&b""[..])]
        );
        assert_eq!(row.field(2), Some(&b""[..]));
        assert_eq!(row.field(3), None);
        let mut buffer = 3i16.to_be_bytes().to_vec();
        buffer.extend_from_slice(&bytes);
        assert_eq!(whole_row(&buffer, 3), Some(buffer.len()));
        assert_eq!(whole_row(&buffer[..buffer.len() - 1], 3), None, "a row cut short");
        assert_eq!(whole_row(&buffer, 2), None, "another count");
        assert_eq!(whole_row(&(-1i16).to_be_bytes(), 3), Some(0));
    }
}
