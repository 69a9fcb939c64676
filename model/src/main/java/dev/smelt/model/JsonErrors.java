package dev.smelt.model;

import dev.smelt.model.text.Quote;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;

/**
 * Describes a Jackson parse failure for an error message. Jackson's limit errors (nesting deeper than
 * {@code StreamReadConstraints}, numbers or strings too long) carry no location, so callers must not
 * dereference {@link JsonProcessingException#getLocation()} themselves. Stateless.
 */
public final class JsonErrors {
    private JsonErrors() {
    }

    /** {@code "line L, column C: reason"}, or just the reason when Jackson gave no location. */
    public static String describe(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String reason = Quote.cut(e.getOriginalMessage());
        return loc == null || loc.getLineNr() < 0 ? reason : "line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ": " + reason;
    }

    /** {@code "column C: reason"} for one-line inputs (JSONL), or just the reason. */
    public static String describeColumn(JsonProcessingException e) {
        JsonLocation loc = e.getLocation();
        String reason = Quote.cut(e.getOriginalMessage());
        return loc == null || loc.getColumnNr() < 0 ? reason : "column " + loc.getColumnNr() + ": " + reason;
    }
}
