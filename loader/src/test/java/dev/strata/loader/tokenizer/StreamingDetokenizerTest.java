// Tests for StreamingDetokenizer: streamed pieces add up to the full decode, never half a character.
package dev.strata.loader.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class StreamingDetokenizerTest {

    private static HfTokenizer small;

    @BeforeAll
    static void load() throws Exception {
        small = HfTokenizer.fromJson(ByteLevelBpeGenerator.json(300), "gen-300");
    }

    @AfterAll
    static void close() {
        small.close();
    }

    @Test
    void streamedPiecesConcatenateToTheFullText() {
        for (String text : ByteLevelBpeGeneratorTest.TEXTS) {
            int[] ids = small.encode(text, true);
            StreamingDetokenizer stream = new StreamingDetokenizer(small);
            StringBuilder out = new StringBuilder();
            for (int id : ids) {
                String piece = stream.accept(id);
                assertFalse(piece.contains("\uFFFD"), "half a character in \"" + piece + "\"");
                out.append(piece);
            }
            out.append(stream.flush());
            assertEquals(text, out.toString());
            assertArrayEquals(ids, stream.ids());
        }
    }

    @Test
    void holdsBackAnIncompleteCharacterUntilFlush() {
        byte[] utf8 = "😀".getBytes(StandardCharsets.UTF_8);
        String[] symbols = ByteLevelBpeGenerator.bytesToUnicode();
        StreamingDetokenizer stream = new StreamingDetokenizer(small);
        assertEquals("a", stream.accept(small.tokenId("a").orElseThrow()));
        for (int i = 0; i < utf8.length - 1; i++) {
            assertEquals("", stream.accept(small.tokenId(symbols[utf8[i] & 0xFF]).orElseThrow()));
        }
        assertEquals("\uFFFD", stream.flush());
        assertEquals("", stream.flush());
        stream.reset();
        for (byte b : utf8) {
            String piece = stream.accept(small.tokenId(symbols[b & 0xFF]).orElseThrow());
            assertEquals(b == utf8[utf8.length - 1] ? "😀" : "", piece);
        }
    }

    @Test
    void worksWithAnyTokenizerWhoseDecodeIsPrefixStable() {
        Tokenizer letters = new Tokenizer() {
            @Override
            public int[] encode(String text, boolean addSpecialTokens) {
                return text.chars().toArray();
            }

            @Override
            public String decode(int[] ids, boolean skipSpecialTokens) {
                StringBuilder sb = new StringBuilder();
                for (int id : ids) {
                    if (!(skipSpecialTokens && id == 0)) {
                        sb.append((char) id);
                    }
                }
                return sb.toString();
            }

            @Override
            public int vocabSize() {
                return 65536;
            }

            @Override
            public OptionalInt tokenId(String token) {
                return token.length() == 1 ? OptionalInt.of(token.charAt(0)) : OptionalInt.empty();
            }

            @Override
            public void close() {}
        };
        StreamingDetokenizer stream = new StreamingDetokenizer(letters);
        assertEquals("", stream.accept(0));
        assertEquals("o", stream.accept('o'));
        assertEquals("k", stream.accept('k'));
    }
}
