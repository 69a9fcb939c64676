package dev.smelt.runtime.constrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class JsonMatcherTest {
    private static final ObjectMapper M = new ObjectMapper();
    private static final String PERSON = """
            {"type":"object","properties":{
               "name":{"type":"string"},
               "age":{"type":"integer"},
               "tags":{"type":"array","items":{"enum":["a","b"]},"maxItems":2},
               "ok":{"type":["boolean","null"]}},
             "required":["name","age"]}""";

    private static JsonMatcher feed(String schema, String text) throws Exception {
        Node n = schema == null ? SchemaCompiler.anyObject() : SchemaCompiler.compile(M.readTree(schema));
        return JsonMatcher.start(n).feed(text.getBytes(StandardCharsets.UTF_8));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"name\":\"Al\",\"age\":3}",
        "{ \"name\" : \"A\\\"l\\u00e9\", \"age\": -12, \"tags\": [\"a\", \"b\"], \"ok\": null }",
        "{\"name\":\"é😀\",\"age\":0,\"ok\":true}",
        "{\"name\":\"x\",\"age\":7,\"tags\":[]}"})
    void acceptsValidDocuments(String doc) throws Exception {
        JsonMatcher m = feed(PERSON, doc);
        assertThat(m.dead()).isFalse();
        assertThat(m.complete()).as(doc).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "{\"age\":3",              // required 'name' must come first
        "{\"name\":\"A\",\"age\":3.5", // integer
        "{\"name\":\"A\"}",          // missing required age
        "{\"name\":\"A\",\"age\":01", // leading zero
        "{\"name\":\"A\",\"age\":1,\"tags\":[\"c\"", // enum
        "{\"name\":\"A\",\"age\":1,\"tags\":[\"a\",\"a\",\"a\"", // maxItems
        "{\"nam\":",                 // unknown key
        "{\"name\\n",               // escapes cannot smuggle a key
        "' {'",                        // no blanks before the document
        "{\"name\":\"A\",\"age\":1,\"extra\"" // no additional properties
    })
    void rejectsInvalidPrefixes(String doc) throws Exception {
        assertThat(feed(PERSON, doc).dead()).as(doc).isTrue();
    }

    @Test
    void prefixesAreLiveButIncomplete() throws Exception {
        JsonMatcher m = feed(PERSON, "{\"name\":\"Al\",\"ag");
        assertThat(m.dead()).isFalse();
        assertThat(m.complete()).isFalse();
    }

    @Test
    void whitespaceRunsAreBounded() throws Exception {
        assertThat(feed(null, "{" + " ".repeat(JsonMatcher.MAX_WS)).dead()).isFalse();
        assertThat(feed(null, "{" + " ".repeat(JsonMatcher.MAX_WS + 1)).dead()).isTrue();
    }

    @Test
    void jsonObjectModeAcceptsAnyObject() throws Exception {
        assertThat(feed(null, "{\"a\":[1,{\"b\":null},\"x\",-2.5e3],\"c\":{}}").complete()).isTrue();
        assertThat(feed(null, "[1]").dead()).isTrue();
        assertThat(feed(null, "{\"a\":tru ").dead()).isTrue();
    }

    @Test
    void unionsAndRefs() throws Exception {
        String s = """
                {"$defs":{"pt":{"type":"object","properties":{"x":{"type":"number"}},"required":["x"]}},
                 "anyOf":[{"$ref":"#/$defs/pt"},{"type":"array","items":{"$ref":"#/$defs/pt"}}]}""";
        assertThat(feed(s, "{\"x\":1}").complete()).isTrue();
        assertThat(feed(s, "[{\"x\":1},{\"x\":2e-1}]").complete()).isTrue();
        assertThat(feed(s, "\"x\"").dead()).isTrue();
    }

    @Test
    void unsupportedOrBrokenSchemasAreRejectedWithThePointer() {
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree("{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\",\"pattern\":\"x\"}}}")))
                .isInstanceOf(SchemaException.class).hasMessageContaining("/properties/a").hasMessageContaining("pattern");
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree("{\"type\":\"strnig\"}"))).hasMessageContaining("unknown type 'strnig'");
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree("{\"type\":\"object\",\"properties\":{},\"required\":[\"q\"]}")))
                .isInstanceOf(SchemaException.class);
        assertThatThrownBy(() -> SchemaCompiler.compile(M.readTree("{\"$ref\":\"#/$defs/a\",\"$defs\":{\"a\":{\"$ref\":\"#/$defs/a\"}}}")))
                .hasMessageContaining("recursive");
    }

    @Test
    void whitespaceLimitIsConfigurable() {
        Node root = SchemaCompiler.anyObject();
        byte[] compact = "{\"a\":[1,2]}".getBytes(StandardCharsets.UTF_8);
        byte[] spaced = "{\"a\": [1, 2]}".getBytes(StandardCharsets.UTF_8);
        byte[] blanks = "{\"a\":  1}".getBytes(StandardCharsets.UTF_8);
        assertThat(JsonMatcher.start(root, 0).feed(compact).complete()).isTrue();
        assertThat(JsonMatcher.start(root, 0).feed(spaced).dead()).isTrue();
        assertThat(JsonMatcher.start(root, 1).feed(spaced).complete()).isTrue();
        assertThat(JsonMatcher.start(root, 1).feed(blanks).dead()).isTrue();
        assertThat(JsonMatcher.start(root).feed(blanks).complete()).isTrue();
        assertThatThrownBy(() -> JsonMatcher.start(root, -1)).hasMessageContaining("-1");
    }
}
