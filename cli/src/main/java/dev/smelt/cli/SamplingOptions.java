package dev.smelt.cli;

import dev.smelt.runtime.sampling.SamplerConfig;
import picocli.CommandLine.Option;

/** Sampling flags, named as in llama.cpp. */
final class SamplingOptions {
    @Option(names = {"--temperature", "--temp"}, defaultValue = "0.8", description = "0 = greedy (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "64")
    int repeatLastN;

    @Option(names = "--frequency-penalty", defaultValue = "0")
    float frequencyPenalty;

    @Option(names = "--presence-penalty", defaultValue = "0")
    float presencePenalty;

    @Option(names = {"-s", "--seed"}, defaultValue = "42", description = "RNG seed (default ${DEFAULT-VALUE}).")
    long seed;

    SamplerConfig toConfig() {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }
}
