package dev.smelt.cli;

import dev.smelt.router.Router;
import dev.smelt.router.RouterServer;
import dev.smelt.server.http.ApiKeys;
import dev.smelt.server.http.HttpSettings;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt route}: one OpenAI-compatible endpoint in front of a router file's targets, until Ctrl-C. */
@Command(name = "route", description = "Serve a router (router.yaml) as one OpenAI-compatible endpoint; answers name their target and cost.")
final class RouteCommand implements Callable<Integer> {
    @picocli.CommandLine.Mixin
    ThreadsOption threads; // the built-in sentence encoders' threads

    @Option(names = "--router", required = true, description = "Router file (YAML/JSON).")
    Path router;

    @Option(names = "--task", description = "Task spec for validity checks (default: the router file's).")
    Path task;

    @Option(names = "--name", description = "Model name answers carry and /v1/models lists (default: the router file's base name, e.g. router).")
    String name;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default ${DEFAULT-VALUE}).")
    String host;

    @Option(names = "--port", defaultValue = "8081", description = "Port to listen on (default ${DEFAULT-VALUE}).")
    int port;

    @Option(names = "--api-key", description = "Required bearer key (repeatable); also SMELT_API_KEY. Blank keys are refused.")
    List<String> apiKeys = new ArrayList<>();

    @Option(names = "--api-key-file", description = "File with accepted keys, one per line.")
    Path apiKeyFile;

    @Option(names = "--allowed-host", description = "Host name to answer besides loopback names, IP addresses and --host "
            + "(repeatable; .example.com for a domain and its subdomains, * for any).")
    List<String> allowedHosts = new ArrayList<>();

    @picocli.CommandLine.Mixin
    RunsOption runsOption;

    @Override
    public Integer call() throws Exception {
        HttpSettings http = new HttpSettings(host, port, ApiKeys.resolve(apiKeys, System.getenv(), apiKeyFile), false, List.of(),
                allowedHosts, false);
        http.validate(); // before the router's targets are built
        Path runsDir = runsOption.folder();
        var spec = task != null || dev.smelt.router.RouterConfig.load(router).task() != null ? Playbook.task(task, router) : null;
        String model = name != null ? name : RouterServer.defaultName(router);
        try (Router r = Playbook.router(router, spec, threads.count()); RouterServer s = new RouterServer(r, http, model, Clock.systemUTC())) {
            if (runsDir != null) {
                s.enableRuns(runsDir);
            }
            int p = s.start();
            System.out.println("router " + model + " (weak " + r.policy().weak() + ", strong " + r.policy().strong() + ") at http://" + host + ":" + p
                    + "/v1/chat/completions; metrics at http://" + host + ":" + p + "/metrics; playground at http://" + host + ":" + p + "/; router dashboard at http://" + host + ":" + p + "/dashboard");
            CountDownLatch forever = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
            forever.await();
        }
        return 0;
    }
}
