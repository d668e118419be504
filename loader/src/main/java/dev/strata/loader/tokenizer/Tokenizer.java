// Strata tokenizer SPI: text <-> token ids, as the engine and the CLI see it.
package dev.strata.loader.tokenizer;

import java.util.OptionalInt;

/** Converts between text and token ids. Implementations hold native resources: close them. */
public interface Tokenizer extends AutoCloseable {

    /**
     * Encodes text to token ids, never padded or truncated.
     *
     * @param addSpecialTokens whether to apply the tokenizer's post-processor (e.g. prepend BOS)
     */
    int[] encode(String text, boolean addSpecialTokens);

    /** Decodes token ids to text; special tokens (BOS, EOS, ...) are dropped when asked. */
    String decode(int[] ids, boolean skipSpecialTokens);

    /** Number of id slots: one more than the largest id of the model vocabulary and added tokens. */
    int vocabSize();

    /** The id of a token given by its vocabulary string (e.g. {@code "</s>"}), if present. */
    OptionalInt tokenId(String token);

    @Override
    void close();
}
