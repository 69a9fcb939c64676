package dev.smelt.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import dev.smelt.router.RouterConfig;
import dev.smelt.task.YamlFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * deploy/k8s: every manifest parses; every container running the smelt image passes arguments that the
 * command they name accepts (parsed by picocli against the real command tree, as bin/smelt would, without
 * running it); the router file in the ConfigMap loads; the model replicas have readiness and liveness on /health.
 */
class DeployManifestsTest {
    private static final Path K8S = Path.of("..", "deploy", "k8s");

    private static List<JsonNode> documents() throws Exception {
        List<JsonNode> docs = new ArrayList<>();
        try (Stream<Path> files = Files.list(K8S)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
                try (MappingIterator<JsonNode> it = YamlFiles.MAPPER.readerFor(JsonNode.class).readValues(f.toFile())) {
                    for (JsonNode d : it.readAll()) {
                        assertThat(d.path("kind").isTextual()).as("%s: every document has a kind", f).isTrue();
                        docs.add(d);
                    }
                }
            }
        }
        return docs;
    }

    private static List<JsonNode> containers(List<JsonNode> docs) {
        List<JsonNode> out = new ArrayList<>();
        for (JsonNode d : docs) {
            JsonNode pod = d.path("spec").path("template").path("spec");
            pod.path("initContainers").forEach(out::add);
            pod.path("containers").forEach(out::add);
        }
        return out;
    }

    @Test
    void everySmeltContainerPassesArgumentsItsCommandAccepts() throws Exception {
        List<JsonNode> smelt = containers(documents()).stream().filter(c -> c.path("image").asText().matches("(.*/)?smelt(:.*)?")).toList();
        assertThat(smelt).as("containers of the smelt image").hasSizeGreaterThanOrEqualTo(2);
        for (JsonNode c : smelt) {
            List<String> args = new ArrayList<>();
            c.path("args").forEach(a -> args.add(a.asText()));
            assertThat(args).as("container %s: args", c.path("name").asText()).isNotEmpty();
            CommandLine root = Main.commandLine();
            assertThat(root.getSubcommands()).as("container %s: '%s' is a smelt command", c.path("name"), args.get(0)).containsKey(args.get(0));
            try {
                Main.commandLine().parseArgs(args.toArray(String[]::new));
            } catch (CommandLine.ParameterException e) {
                fail("container " + c.path("name").asText() + ": `smelt " + String.join(" ", args) + "` does not parse: " + e.getMessage());
            }
        }
    }

    @Test
    void theServeReplicasAreProbedOnHealth() throws Exception {
        JsonNode serve = documents().stream().filter(d -> d.path("kind").asText().equals("Deployment")
                && d.path("metadata").path("name").asText().equals("smelt-serve")).findFirst().orElseThrow();
        JsonNode c = serve.path("spec").path("template").path("spec").path("containers").get(0);
        for (String probe : new String[] {"readinessProbe", "livenessProbe", "startupProbe"}) {
            assertThat(c.path(probe).path("httpGet").path("path").asText()).as(probe).isEqualTo("/health");
        }
        List<String> kinds = documents().stream().map(d -> d.path("kind").asText()).toList();
        assertThat(kinds).contains("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget", "ConfigMap");
    }

    @Test
    void theRouterFileInTheConfigMapLoads(@TempDir Path dir) throws Exception {
        JsonNode cm = documents().stream().filter(d -> d.path("kind").asText().equals("ConfigMap")).findFirst().orElseThrow();
        Path f = dir.resolve("router.yaml");
        Files.writeString(f, cm.path("data").path("router.yaml").asText());
        RouterConfig rc = RouterConfig.load(f);
        assertThat(rc.targets().get("fleet").path("type").asText()).isEqualTo("pool");
    }
}
