package dev.smelt.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.smelt.server.http.ApiException;
import org.junit.jupiter.api.Test;

class RequestFieldsTest {
    private static final ObjectMapper M = new ObjectMapper();

    @Test
    void anUnknownFieldIsNamed() throws Exception {
        assertThatThrownBy(() -> RequestFields.honouring("model").check(M.readTree("{\"model\":\"m\",\"suffix\":\"x\"}"), ""))
                .isInstanceOf(ApiException.class).hasMessage("unsupported parameter: suffix");
    }

    /** A request's key can be any length: the 400 names it cut, as every other echoed value (was echoed whole). */
    @Test
    void aHugeUnknownFieldNameIsCut() throws Exception {
        String key = "k".repeat(10_000);
        assertThatThrownBy(() -> RequestFields.honouring("model").check(M.readTree("{\"" + key + "\":1}"), "options."))
                .isInstanceOf(ApiException.class).hasMessageContaining("unsupported parameter: options.kkk")
                .hasMessageContaining("(10008 characters)")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
    }
}
