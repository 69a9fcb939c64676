package dev.smelt.task;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * YAML for task and router files, read with YAML 1.2 core-schema booleans: only {@code true}/{@code false}
 * are booleans, so labels such as {@code yes}, {@code no}, {@code on}, {@code off} (CLINC150 has intents
 * named yes and no) stay strings. Label lists go further: every entry is kept exactly as written, so
 * {@code 010}, {@code 1.50}, {@code ~} or {@code true} are labels, not numbers, nulls or booleans.
 * Thread-safe (the mapper is shared and immutable after construction).
 */
public final class YamlFiles {
    /** The mapper for task and router YAML. */
    public static final ObjectMapper MAPPER = new ObjectMapper(
            YAMLFactory.builder().enable(YAMLParser.Feature.PARSE_BOOLEAN_LIKE_WORDS_AS_STRINGS).build());

    private YamlFiles() {
    }

    /**
     * Replaces non-string scalars in the top-level list fields {@code fields} of {@code root} by their text as
     * written in {@code yaml}. Lists whose entries are all strings already are left alone.
     */
    public static void keepListsAsWritten(String yaml, JsonNode root, Set<String> fields) throws IOException {
        if (!(root instanceof ObjectNode obj)) {
            return;
        }
        boolean needed = false;
        for (String f : fields) {
            if (obj.get(f) instanceof ArrayNode a) {
                for (JsonNode x : a) {
                    needed |= x.isValueNode() && !x.isTextual();
                }
            }
        }
        if (!needed) {
            return;
        }
        try (JsonParser p = MAPPER.getFactory().createParser(yaml)) {
            if (p.nextToken() != JsonToken.START_OBJECT) {
                return;
            }
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                JsonToken t = p.nextToken();
                if (fields.contains(name) && t == JsonToken.START_ARRAY && obj.get(name) instanceof ArrayNode a) {
                    List<String> raw = new ArrayList<>();
                    for (JsonToken e = p.nextToken(); e != JsonToken.END_ARRAY; e = p.nextToken()) {
                        if (e.isScalarValue()) {
                            raw.add(rawText(p, e));
                        } else {
                            raw.add(null);
                            p.skipChildren();
                        }
                    }
                    if (raw.size() == a.size()) {
                        for (int i = 0; i < raw.size(); i++) {
                            if (raw.get(i) != null && a.get(i).isValueNode() && !a.get(i).isTextual()) {
                                a.set(i, TextNode.valueOf(raw.get(i)));
                            }
                        }
                    }
                } else {
                    p.skipChildren();
                }
            }
        }
    }

    /** A value for an error message, cut at 200 characters (as smelt's Quote does; distill stands apart from model). */
    public static String cut(Object value) {
        String s = String.valueOf(value);
        return s.length() <= 200 ? s : s.substring(0, 200) + "… (" + s.length() + " characters)";
    }

    private static String rawText(JsonParser p, JsonToken t) throws IOException {
        if (t == JsonToken.VALUE_NULL && p instanceof YAMLParser y && y.getText() == null) {
            return null;
        }
        return p.getText();
    }
}
