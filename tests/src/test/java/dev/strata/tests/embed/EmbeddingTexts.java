// Varied texts for embedding tests: empty and blank lines, single words, sentences, numbers,
// code, accented Latin, Greek, Cyrillic, CJK, Arabic, emoji, and paragraphs long enough to be
// truncated at 256 word pieces — 60 in all, from 1 (empty: [CLS] [SEP] = 2 tokens) up to the limit.
package dev.strata.tests.embed;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

final class EmbeddingTexts {
    private EmbeddingTexts() {}

    static List<String> all() {
        List<String> t = new ArrayList<>(List.of(
                "", " ", "hello", "Hello, world!", "a", "?", "42", "3.14159 is approximately pi",
                "The quick brown fox jumps over the lazy dog.",
                "Machine learning models turn text into vectors.",
                "How do I reset my password?",
                "The weather in Zürich is cold and grey in November.",
                "Crème brûlée, façade, naïve, coöperate, jalapeño.",
                "Ελληνικά: καλημέρα κόσμε",
                "Русский текст для проверки токенизатора.",
                "東京は日本の首都です。",
                "我喜欢在晚上读书。",
                "한국어 문장도 있습니다.",
                "مرحبا بالعالم، هذا اختبار.",
                "Emoji 🚀🔥😀 and symbols ™ © ∑ ∞ ≠",
                "for (int i = 0; i < n; i++) { sum += x[i] * y[i]; }",
                "SELECT name, count(*) FROM users GROUP BY name HAVING count(*) > 1;",
                "https://example.com/path?query=1&other=two#anchor",
                "UPPERCASE TEXT SHOULD BE LOWERCASED BY THE NORMALIZER",
                "tabs\tand\nnewlines are whitespace",
                "repeated repeated repeated repeated repeated repeated repeated",
                "Semantic search ranks documents by meaning rather than keywords.",
                "The cat sat on the mat.", "A kitten rested on the rug.",
                "Stock prices fell sharply on Monday.", "Inflation remained above the central bank's target.",
                "She plays the cello in a string quartet.", "The violinist tuned her instrument before the concert.",
                "Photosynthesis converts light energy into chemical energy.",
                "Mitochondria are the powerhouse of the cell.",
                "The Eiffel Tower is in Paris.", "Mount Everest is the highest mountain above sea level.",
                "Please summarise the attached quarterly report in three bullet points.",
                "¿Dónde está la biblioteca?", "Où est la gare, s'il vous plaît ?",
                "Ich möchte ein Glas Wasser, bitte.", "Dette er en norsk setning med æ, ø og å."));
        SplittableRandom rnd = new SplittableRandom(7);
        String[] words = {"memory", "bandwidth", "attention", "kernel", "tensor", "graph", "token", "layer", "model", "device",
                "cache", "batch", "encoder", "decoder", "vector", "matrix", "throughput", "latency", "precision", "accuracy"};
        for (int len : new int[] {5, 12, 25, 40, 60, 90, 120, 160, 200, 240, 253, 254, 300, 600, 1200}) {
            StringBuilder b = new StringBuilder();
            for (int i = 0; i < len; i++) b.append(i == 0 ? "" : " ").append(words[rnd.nextInt(words.length)]);
            t.add(b.append('.').toString());
        }
        return t;
    }
}
