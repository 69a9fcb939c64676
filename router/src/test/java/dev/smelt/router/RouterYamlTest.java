package dev.smelt.router;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 12: router YAML reads yes/no/on/off as the strings written, not YAML 1.1 booleans. */
class RouterYamlTest {
    @TempDir
    Path dir;

    @Test
    void booleanLikeTargetNamesAndKeywordsStayStrings() throws IOException {
        Path p = dir.resolve("router.yaml");
        Files.writeString(p, """
                targets:
                  on: {type: gguf, path: small.gguf}
                  off: {type: gguf, path: big.gguf}
                policy:
                  type: rules
                  weak: on
                  strong: off
                  rules:
                    - {keywords: [yes, no], target: off}
                fallbacks: [off]
                """);
        RouterConfig c = RouterConfig.load(p);
        assertThat(c.targets()).containsOnlyKeys("on", "off");
        assertThat(c.policy().get("weak").asText()).isEqualTo("on");
        assertThat(c.fallbacks()).containsExactly("off");
        assertThat(c.policy().get("rules").get(0).get("keywords")).extracting(n -> n.asText()).containsExactly("yes", "no");
    }
}
