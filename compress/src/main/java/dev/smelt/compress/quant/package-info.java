/**
 * Byte-exact ports of ggml's weight quantizers ({@code ggml-quants.c}), one class per storage type,
 * each following the path {@code llama-quantize} takes ({@code quantize_<type>}: the {@code _ref}
 * function without an importance matrix where ggml routes there, the {@code _impl} function with one;
 * IQ4_NL/IQ4_XS always through {@code quantize_row_iq4_nl_impl} with 7 tries). Shared search helpers
 * live in {@code QuantMath}; {@link dev.smelt.compress.quant.Quantizers} maps types to quantizers and
 * quantizes whole matrices in parallel.
 *
 * <p>Exactness rests on doing every float operation in the C order in single precision (Java float
 * arithmetic is IEEE binary32 like ggml's SSE code), {@code nearest_int}'s round-half-to-even,
 * C {@code roundf} (half away from zero) where Q8_0 uses it, truncating float→int casts where the
 * legacy {@code _ref} functions use them, and fp32→fp16 round-to-nearest-even.
 */
package dev.smelt.compress.quant;
