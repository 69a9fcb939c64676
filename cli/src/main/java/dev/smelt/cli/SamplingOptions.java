package dev.smelt.cli;

import dev.smelt.runtime.sampling.SamplerConfig;
import picocli.CommandLine.Option;

/** Sampling flags, named as in llama.cpp. */
final class SamplingOptions {
    @Option(names = {"--temperature", "--temp"}, defaultValue = "0.8", description = "Sampling temperature; 0 = greedy (default ${DEFAULT-VALUE}).")
    float temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "Sample among the k most likely tokens (0 = all; default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95",
            description = "Nucleus sampling: the fewest tokens whose probabilities sum to p (1 = off; default ${DEFAULT-VALUE}).")
    float topP;

    @Option(names = "--min-p", defaultValue = "0.05",
            description = "Drop tokens less likely than p times the most likely one (0 = off; default ${DEFAULT-VALUE}).")
    float minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0",
            description = "Divide the logits of recently seen tokens by this (1 = off; default ${DEFAULT-VALUE}).")
    float repeatPenalty;

    @Option(names = "--repeat-last-n", defaultValue = "64",
            description = "How many recent tokens the penalties look at (default ${DEFAULT-VALUE}).")
    int repeatLastN;

    @Option(names = "--frequency-penalty", defaultValue = "0",
            description = "Subtract this times a token's count in the recent tokens (OpenAI's; 0 = off; default ${DEFAULT-VALUE}).")
    float frequencyPenalty;

    @Option(names = "--presence-penalty", defaultValue = "0",
            description = "Subtract this from every token in the recent tokens (OpenAI's; 0 = off; default ${DEFAULT-VALUE}).")
    float presencePenalty;

    @Option(names = {"-s", "--seed"}, defaultValue = "42", description = "RNG seed (default ${DEFAULT-VALUE}).")
    long seed;

    SamplerConfig toConfig() {
        return new SamplerConfig(temperature, topK, topP, minP, repeatPenalty, repeatLastN, frequencyPenalty, presencePenalty, seed);
    }
}
