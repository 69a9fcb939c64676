package dev.smelt.model.tokenizer;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Streams a {@code tokenizer.json} (plain or gzip): {@code model.vocab} and {@code model.merges}, which hold
 * hundreds of thousands of entries, are read straight into arrays; everything else becomes a small JSON tree.
 * Building a full tree for a 262k-piece vocabulary costs seconds, streaming a fraction of that. Not thread-safe;
 * one instance per file.
 */
final class HfJsonReader {
    // Vocabulary pieces arrive as field names, each seen once: Jackson's symbol table and String.intern of
    // them (on by default, for repeated keys) cost most of a tokenizer.json parse at start-up.
    private static final ObjectMapper JSON = new ObjectMapper(com.fasterxml.jackson.core.JsonFactory.builder()
            .disable(com.fasterxml.jackson.core.JsonFactory.Feature.CANONICALIZE_FIELD_NAMES)
            .disable(com.fasterxml.jackson.core.JsonFactory.Feature.INTERN_FIELD_NAMES).build());

    /** Everything except model.vocab and model.merges. */
    ObjectNode root;
    List<String> vocabPieces = new ArrayList<>();
    List<Integer> vocabIds = new ArrayList<>();
    boolean hasVocab;
    /** Merges as (left, right) pairs; null when the file has no merges. */
    List<String> mergeLeft, mergeRight;

    static JsonNode readTree(Path p) throws IOException {
        try (InputStream in = open(p)) {
            JsonNode n = JSON.readTree(in);
            if (n == null || !n.isObject()) {
                throw new TokenizerFormatException(p + ": expected a JSON object at top level");
            }
            return n;
        } catch (JsonProcessingException e) {
            throw malformed(p, e);
        }
    }

    private static InputStream open(Path p) throws IOException {
        InputStream raw = Files.newInputStream(p);
        return p.getFileName().toString().endsWith(".gz") ? new GZIPInputStream(raw, 1 << 16) : raw;
    }

    private static TokenizerFormatException malformed(Path p, JsonProcessingException e) {
        return new TokenizerFormatException(p + ": malformed JSON at " + dev.smelt.model.JsonErrors.describe(e));
    }

    static HfJsonReader read(Path p) throws IOException {
        HfJsonReader r = new HfJsonReader();
        byte[] bytes;
        try (InputStream in = open(p)) {
            bytes = in.readAllBytes(); // parsing from an array is several times faster than from a stream
        }
        try (JsonParser jp = JSON.getFactory().createParser(bytes)) {
            if (jp.nextToken() != JsonToken.START_OBJECT) {
                throw new TokenizerFormatException(p + ": expected a JSON object at top level");
            }
            r.root = JSON.createObjectNode();
            while (jp.nextToken() == JsonToken.FIELD_NAME) {
                String name = jp.currentName();
                JsonToken t = jp.nextToken();
                if (name.equals("model") && t == JsonToken.START_OBJECT) {
                    r.root.set("model", r.readModel(jp, p));
                } else {
                    r.root.set(name, jp.readValueAsTree());
                }
            }
        } catch (JsonProcessingException e) {
            throw malformed(p, e);
        }
        return r;
    }

    private ObjectNode readModel(JsonParser jp, Path p) throws IOException {
        ObjectNode model = JSON.createObjectNode();
        while (jp.nextToken() == JsonToken.FIELD_NAME) {
            String name = jp.currentName();
            JsonToken t = jp.nextToken();
            if (name.equals("vocab") && t == JsonToken.START_OBJECT) {
                hasVocab = true;
                while (jp.nextToken() == JsonToken.FIELD_NAME) {
                    String piece = jp.currentName();
                    if (jp.nextToken() != JsonToken.VALUE_NUMBER_INT || jp.getLongValue() < 0
                            || jp.getLongValue() > Integer.MAX_VALUE) {
                        throw new TokenizerFormatException(p + ": model.vocab['" + piece + "'] = " + jp.getText()
                                + " is not a token id (line " + jp.currentLocation().getLineNr() + ")");
                    }
                    vocabPieces.add(piece);
                    vocabIds.add(jp.getIntValue());
                }
            } else if (name.equals("merges") && t == JsonToken.START_ARRAY) {
                mergeLeft = new ArrayList<>();
                mergeRight = new ArrayList<>();
                int i = 0;
                for (JsonToken e = jp.nextToken(); e != JsonToken.END_ARRAY; e = jp.nextToken(), i++) {
                    String left = null, right = null;
                    if (e == JsonToken.VALUE_STRING) {
                        String m = jp.getText();
                        int sp = m.indexOf(' ', 1);
                        if (sp > 0) {
                            left = m.substring(0, sp);
                            right = m.substring(sp + 1);
                        }
                    } else if (e == JsonToken.START_ARRAY) {
                        if (jp.nextToken() == JsonToken.VALUE_STRING) {
                            left = jp.getText();
                            if (jp.nextToken() == JsonToken.VALUE_STRING) {
                                right = jp.getText();
                                if (jp.nextToken() != JsonToken.END_ARRAY) {
                                    left = null;
                                    jp.skipChildren();
                                }
                            } else {
                                left = null;
                            }
                        }
                        if (left == null) {
                            throw new TokenizerFormatException(p + ": model.merges[" + i
                                    + "] is not a [left, right] pair of strings (line " + jp.currentLocation().getLineNr() + ")");
                        }
                    } else {
                        jp.skipChildren();
                    }
                    if (left == null) {
                        throw new TokenizerFormatException(p + ": model.merges[" + i
                                + "] is neither \"left right\" nor [left, right] (line " + jp.currentLocation().getLineNr() + ")");
                    }
                    mergeLeft.add(left);
                    mergeRight.add(right);
                }
            } else {
                model.set(name, jp.readValueAsTree());
            }
        }
        return model;
    }
}
