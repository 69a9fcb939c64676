package dev.smelt.compress.convert;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The pieces of a SentencePiece {@code tokenizer.model}, read from its protobuf encoding without the
 * sentencepiece library.
 *
 * <h2>Format (protobuf, sentencepiece_model.proto)</h2>
 * A message {@code ModelProto}; each field starts with a varint key = field_number·8 + wire_type
 * (0 varint, 1 fixed64, 2 length-delimited: varint length then bytes, 5 fixed32 little-endian).
 * <ul>
 *   <li>field 1, repeated {@code SentencePiece} (length-delimited): field 1 {@code piece} (UTF-8 string),
 *       field 2 {@code score} (float, fixed32), field 3 {@code type} (varint enum: 1 NORMAL, 2 UNKNOWN,
 *       3 CONTROL, 4 USER_DEFINED, 5 UNUSED, 6 BYTE; default 1) — the same numbers as GGUF's
 *       {@code tokenizer.ggml.token_type};</li>
 *   <li>field 3, {@code NormalizerSpec}: its field 3 {@code add_dummy_prefix} (bool varint, default true);</li>
 *   <li>other fields (trainer spec, denormalizer) are skipped by wire type.</li>
 * </ul>
 * Immutable.
 */
public record SentencePieceModel(List<String> pieces, float[] scores, int[] types, boolean addDummyPrefix) {

    /** Reads {@code file}; errors name the file and byte offset. */
    public static SentencePieceModel read(Path file) throws IOException {
        byte[] b = Files.readAllBytes(file);
        Reader r = new Reader(b, 0, b.length, file);
        List<String> pieces = new ArrayList<>();
        List<Float> scores = new ArrayList<>();
        List<Integer> types = new ArrayList<>();
        boolean prefix = true;
        while (r.more()) {
            long key = r.varint();
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (field == 1 && wire == 2) {
                Reader p = r.sub();
                String piece = "";
                float score = 0;
                int type = 1;
                while (p.more()) {
                    long k = p.varint();
                    int f = (int) (k >>> 3);
                    int w = (int) (k & 7);
                    if (f == 1 && w == 2) {
                        piece = p.string();
                    } else if (f == 2 && w == 5) {
                        score = Float.intBitsToFloat(p.fixed32());
                    } else if (f == 3 && w == 0) {
                        type = (int) p.varint();
                    } else {
                        p.skip(w);
                    }
                }
                pieces.add(piece);
                scores.add(score);
                types.add(type);
            } else if (field == 3 && wire == 2) {
                Reader n = r.sub();
                while (n.more()) {
                    long k = n.varint();
                    if ((k >>> 3) == 3 && (k & 7) == 0) {
                        prefix = n.varint() != 0;
                    } else {
                        n.skip((int) (k & 7));
                    }
                }
            } else {
                r.skip(wire);
            }
        }
        if (pieces.isEmpty()) {
            throw new IOException(file + ": no pieces found (not a SentencePiece model?)");
        }
        float[] s = new float[scores.size()];
        int[] t = new int[types.size()];
        for (int i = 0; i < s.length; i++) {
            s[i] = scores.get(i);
            t[i] = types.get(i);
        }
        return new SentencePieceModel(List.copyOf(pieces), s, t, prefix);
    }

    /** Encodes the pieces back (the inverse of {@link #read}; used to build test checkpoints). */
    public byte[] encode() {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < pieces.size(); i++) {
            java.io.ByteArrayOutputStream p = new java.io.ByteArrayOutputStream();
            byte[] s = pieces.get(i).getBytes(StandardCharsets.UTF_8);
            p.write(0x0A);
            writeVarint(p, s.length);
            p.writeBytes(s);
            p.write(0x15);
            int bits = Float.floatToRawIntBits(scores[i]);
            for (int k = 0; k < 4; k++) {
                p.write(bits >>> (8 * k));
            }
            p.write(0x18);
            writeVarint(p, types[i]);
            out.write(0x0A);
            writeVarint(out, p.size());
            out.writeBytes(p.toByteArray());
        }
        out.write(0x1A); // normalizer_spec
        out.write(2);
        out.write(0x18);
        out.write(addDummyPrefix ? 1 : 0);
        return out.toByteArray();
    }

    private static void writeVarint(java.io.ByteArrayOutputStream o, long v) {
        while ((v & ~0x7FL) != 0) {
            o.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        o.write((int) v);
    }

    /** Bounded protobuf reader over b[pos, end). */
    private static final class Reader {
        private final byte[] b;
        private final int end;
        private final Path file;
        private int pos;

        Reader(byte[] b, int pos, int end, Path file) {
            this.b = b;
            this.pos = pos;
            this.end = end;
            this.file = file;
        }

        boolean more() {
            return pos < end;
        }

        long varint() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                need(1);
                int x = b[pos++] & 0xFF;
                v |= (long) (x & 0x7F) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new IOException(file + ": malformed varint at byte " + pos);
        }

        int fixed32() throws IOException {
            need(4);
            int v = (b[pos] & 0xFF) | (b[pos + 1] & 0xFF) << 8 | (b[pos + 2] & 0xFF) << 16 | (b[pos + 3] & 0xFF) << 24;
            pos += 4;
            return v;
        }

        Reader sub() throws IOException {
            long len = varint();
            if (len < 0 || len > end - pos) {
                throw new IOException(file + ": field length " + len + " at byte " + pos + " runs past the end (" + end + ")");
            }
            Reader r = new Reader(b, pos, pos + (int) len, file);
            pos += (int) len;
            return r;
        }

        String string() throws IOException {
            Reader s = sub();
            return new String(b, s.pos, s.end - s.pos, StandardCharsets.UTF_8);
        }

        void skip(int wire) throws IOException {
            switch (wire) {
                case 0 -> varint();
                case 1 -> {
                    need(8);
                    pos += 8;
                }
                case 2 -> sub();
                case 5 -> {
                    need(4);
                    pos += 4;
                }
                default -> throw new IOException(file + ": unsupported protobuf wire type " + wire + " at byte " + pos);
            }
        }

        private void need(int n) throws IOException {
            if (pos + n > end) {
                throw new IOException(file + ": truncated protobuf at byte " + pos);
            }
        }
    }
}
