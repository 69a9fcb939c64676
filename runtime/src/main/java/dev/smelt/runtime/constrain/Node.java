package dev.smelt.runtime.constrain;

import java.util.List;

/**
 * A compiled schema node: what value may appear at one place of the document. Immutable.
 * Kinds: ANY (any JSON value), OBJECT (ordered properties; optional ones may be skipped; or free-form
 * when {@code freeForm}), ARRAY, STRING (optionally one of {@code literals}), NUMBER, INTEGER,
 * BOOLEAN, NULL, CONST (exactly one of the serialized {@code literals}), UNION (any of {@code options}).
 */
public record Node(Kind kind, List<Property> properties, boolean freeForm, Node items, int minItems, int maxItems,
            List<String> literals, List<Node> options, int maxLength) {

    public enum Kind { ANY, OBJECT, ARRAY, STRING, NUMBER, INTEGER, BOOLEAN, NULL, CONST, UNION }

    /** An object property, with its key already JSON-encoded (quotes included). */
    public record Property(String name, String encodedKey, Node value, boolean required) {
    }

    public static Node of(Kind k) {
        return new Node(k, List.of(), false, null, 0, Integer.MAX_VALUE, List.of(), List.of(), Integer.MAX_VALUE);
    }

    public static final Node ANY = of(Kind.ANY);
}
