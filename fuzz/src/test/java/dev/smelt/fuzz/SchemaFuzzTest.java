package dev.smelt.fuzz;

import com.code_intelligence.jazzer.junit.FuzzTest;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.runtime.constrain.JsonMatcher;
import dev.smelt.runtime.constrain.Node;
import dev.smelt.runtime.constrain.SchemaCompiler;

/**
 * JSON Schemas given to the constrained decoder. Input: a schema, a 0 byte, then output bytes that are fed
 * to the matcher byte by byte (as generation does), stopping when it rejects.
 */
class SchemaFuzzTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @FuzzTest
    void jsonSchema(byte[] data) {
        byte[][] parts = Outcomes.split(data);
        JsonNode schema;
        try {
            schema = JSON.readTree(parts[0]);
        } catch (Exception e) {
            return; // not JSON: the server answers 400 before the compiler sees it (RequestBodyFuzzTest covers that path)
        }
        if (schema == null) {
            return;
        }
        Outcomes.expect(() -> {
            Node root = SchemaCompiler.compile(schema);
            JsonMatcher m = JsonMatcher.start(root);
            for (byte b : parts[1]) {
                m = m.feed(new byte[] {b});
                if (m.dead()) {
                    break;
                }
            }
            m.complete();
        });
    }
}
