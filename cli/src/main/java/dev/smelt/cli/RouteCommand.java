package dev.smelt.cli;

import dev.smelt.router.Router;
import dev.smelt.router.RouterServer;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code smelt route}: one OpenAI-compatible endpoint in front of a router file's targets, until Ctrl-C. */
@Command(name = "route", description = "Serve a router (router.yaml) as one OpenAI-compatible endpoint; answers name their target and cost.")
final class RouteCommand implements Callable<Integer> {
    @Option(names = "--router", required = true, description = "Router file (YAML/JSON).")
    Path router;

    @Option(names = "--task", description = "Task spec for validity checks (default: the router file's).")
    Path task;

    @Option(names = "--host", defaultValue = "127.0.0.1")
    String host;

    @Option(names = "--port", defaultValue = "8081")
    int port;

    @Option(names = "--api-key", description = "Required bearer key (repeatable); also SMELT_API_KEY.")
    List<String> apiKeys = new java.util.ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("--port must be 0..65535, got " + port);
        }
        Set<String> keys = new LinkedHashSet<>(apiKeys);
        if (System.getenv("SMELT_API_KEY") != null && !System.getenv("SMELT_API_KEY").isBlank()) {
            keys.add(System.getenv("SMELT_API_KEY").trim());
        }
        boolean loopback = host.equals("127.0.0.1") || host.equals("localhost") || host.equals("::1");
        if (!loopback && keys.isEmpty()) {
            throw new IllegalArgumentException("serving on " + host + " needs --api-key (or SMELT_API_KEY)");
        }
        var spec = task != null || dev.smelt.router.RouterConfig.load(router).task() != null ? Playbook.task(task, router) : null;
        try (Router r = Playbook.router(router, spec); RouterServer s = new RouterServer(r, keys)) {
            int p = s.start(host, port);
            System.out.println("router " + r.name() + " (weak " + r.policy().weak() + ", strong " + r.policy().strong() + ") at http://" + host + ":" + p
                    + "/v1/chat/completions; metrics at http://" + host + ":" + p + "/metrics");
            CountDownLatch forever = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(forever::countDown));
            forever.await();
        }
        return 0;
    }
}
