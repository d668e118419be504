// Turns a stream of generated token ids into printable text increments.
package dev.strata.loader.tokenizer;

import java.util.Arrays;

/**
 * Incremental detokenizer. Each id is decoded together with the ids since the last emitted
 * boundary (the window approach of TGI and vLLM, equal to decoding the whole sequence for
 * byte-level and SentencePiece decoders, but linear in the output length); the text beyond what
 * was already printed is returned. While the text ends in U+FFFD (a multi-byte character split
 * across tokens) nothing is returned, so callers never print half a character.
 */
public final class StreamingDetokenizer {

    private static final char REPLACEMENT = '\uFFFD';

    private final Tokenizer tokenizer;
    private final boolean skipSpecialTokens;
    private int[] ids = new int[64];
    private int count;
    private int prefixOffset;
    private int readOffset;

    public StreamingDetokenizer(Tokenizer tokenizer, boolean skipSpecialTokens) {
        this.tokenizer = tokenizer;
        this.skipSpecialTokens = skipSpecialTokens;
    }

    /** Special tokens are skipped. */
    public StreamingDetokenizer(Tokenizer tokenizer) {
        this(tokenizer, true);
    }

    /** Accepts the next id; returns the new text to print, possibly empty. */
    public String accept(int id) {
        if (count == ids.length) {
            ids = Arrays.copyOf(ids, count * 2);
        }
        ids[count++] = id;
        String prefix = decode(prefixOffset, readOffset);
        String text = decode(prefixOffset, count);
        if (text.length() <= prefix.length() || text.charAt(text.length() - 1) == REPLACEMENT) {
            return "";
        }
        prefixOffset = readOffset;
        readOffset = count;
        return text.substring(prefix.length());
    }

    /** Returns the text still held back (e.g. a trailing incomplete character) and marks it printed. */
    public String flush() {
        String prefix = decode(prefixOffset, readOffset);
        String text = decode(prefixOffset, count);
        prefixOffset = readOffset;
        readOffset = count;
        return text.length() > prefix.length() ? text.substring(prefix.length()) : "";
    }

    /** All ids accepted so far. */
    public int[] ids() {
        return Arrays.copyOf(ids, count);
    }

    /** Forgets all ids, ready for a new sequence. */
    public void reset() {
        count = 0;
        prefixOffset = 0;
        readOffset = 0;
    }

    private String decode(int from, int to) {
        return from == to ? "" : tokenizer.decode(Arrays.copyOfRange(ids, from, to), skipSpecialTokens);
    }
}
