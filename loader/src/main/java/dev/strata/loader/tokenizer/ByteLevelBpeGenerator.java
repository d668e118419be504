// Generates a GPT-2-style byte-level BPE tokenizer.json of an exact size for random-weight models.
package dev.strata.loader.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes a byte-level BPE {@code tokenizer.json} with exactly {@code vocabSize} tokens:
 * ids 0..2 are {@code <unk>}, {@code <s>}, {@code </s>}; ids 3..258 are the 256 byte symbols
 * (GPT-2's bytes-to-unicode mapping, in byte order); the rest come from merges learned by BPE
 * on the small English text {@link BpeCorpus#TEXT} and, once that text is exhausted, from
 * deterministic extensions of word-like tokens by a lowercase letter. The output depends only
 * on {@code vocabSize}. With special tokens on, encoding prepends {@code <s>}.
 */
public final class ByteLevelBpeGenerator {

    public static final int MIN_VOCAB = 300;
    public static final int MAX_VOCAB = 1 << 20;
    public static final List<String> SPECIAL_TOKENS = List.of("<unk>", "<s>", "</s>");

    /** GPT-2's pre-tokenization regex, the one ByteLevel uses with {@code use_regex}. */
    private static final Pattern SPLIT = Pattern.compile(
            "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+");
    private static final String FILL_LETTERS = "etaoinshrdlcumwfgypbvkjxqz";
    private static final String[] BYTE_SYMBOLS = bytesToUnicode();

    private ByteLevelBpeGenerator() {}

    /** Writes the tokenizer.json for {@code vocabSize} tokens to {@code file}. */
    public static void write(Path file, int vocabSize) throws IOException {
        Files.writeString(file, json(vocabSize), StandardCharsets.UTF_8);
    }

    /** The tokenizer.json text for {@code vocabSize} tokens. */
    public static String json(int vocabSize) {
        if (vocabSize < MIN_VOCAB || vocabSize > MAX_VOCAB) {
            throw new IllegalArgumentException("vocab size " + vocabSize + " is outside ["
                    + MIN_VOCAB + ", " + MAX_VOCAB + "]");
        }
        Map<String, Integer> vocab = new LinkedHashMap<>();
        for (String special : SPECIAL_TOKENS) {
            vocab.put(special, vocab.size());
        }
        for (String symbol : BYTE_SYMBOLS) {
            vocab.put(symbol, vocab.size());
        }
        List<String[]> merges = new ArrayList<>();
        learnFromCorpus(vocab, merges, vocabSize);
        fill(vocab, merges, vocabSize);
        try {
            return new ObjectMapper().writerWithDefaultPrettyPrinter()
                    .writeValueAsString(document(vocab, merges));
        } catch (IOException e) {
            throw new IllegalStateException("cannot serialise generated tokenizer", e);
        }
    }

    /** GPT-2's reversible byte -> printable character mapping, indexed by byte value. */
    static String[] bytesToUnicode() {
        String[] map = new String[256];
        int next = 256;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE);
            map[b] = String.valueOf((char) (printable ? b : next++));
        }
        return map;
    }

    /** Classic BPE: merge the most frequent adjacent pair (ties: smallest pair) until done. */
    private static void learnFromCorpus(Map<String, Integer> vocab, List<String[]> merges, int target) {
        Map<String, Integer> wordCounts = new LinkedHashMap<>();
        Matcher m = SPLIT.matcher(BpeCorpus.TEXT);
        while (m.find()) {
            wordCounts.merge(m.group(), 1, Integer::sum);
        }
        List<List<String>> words = new ArrayList<>();
        List<Integer> freqs = new ArrayList<>();
        for (Map.Entry<String, Integer> e : wordCounts.entrySet()) {
            List<String> symbols = new ArrayList<>();
            for (byte b : e.getKey().getBytes(StandardCharsets.UTF_8)) {
                symbols.add(BYTE_SYMBOLS[b & 0xFF]);
            }
            words.add(symbols);
            freqs.add(e.getValue());
        }
        while (vocab.size() < target) {
            String[] best = bestPair(words, freqs);
            if (best == null) {
                return;
            }
            merges.add(best);
            vocab.putIfAbsent(best[0] + best[1], vocab.size());
            for (List<String> word : words) {
                applyMerge(word, best);
            }
        }
    }

    private static String[] bestPair(List<List<String>> words, List<Integer> freqs) {
        Map<String, Integer> counts = new HashMap<>();
        Map<String, String[]> pairs = new HashMap<>();
        for (int w = 0; w < words.size(); w++) {
            List<String> word = words.get(w);
            for (int i = 0; i + 1 < word.size(); i++) {
                String key = word.get(i) + ' ' + word.get(i + 1);
                counts.merge(key, freqs.get(w), Integer::sum);
                pairs.putIfAbsent(key, new String[] {word.get(i), word.get(i + 1)});
            }
        }
        String bestKey = null;
        for (Map.Entry<String, Integer> e : counts.entrySet()) {
            if (bestKey == null || e.getValue() > counts.get(bestKey)
                    || (e.getValue().equals(counts.get(bestKey)) && e.getKey().compareTo(bestKey) < 0)) {
                bestKey = e.getKey();
            }
        }
        return bestKey == null ? null : pairs.get(bestKey);
    }

    private static void applyMerge(List<String> word, String[] pair) {
        for (int i = 0; i + 1 < word.size(); i++) {
            if (word.get(i).equals(pair[0]) && word.get(i + 1).equals(pair[1])) {
                word.set(i, pair[0] + pair[1]);
                word.remove(i + 1);
            }
        }
    }

    /**
     * Extends word-like tokens (letters, optionally after the space symbol) by one lowercase
     * letter, in id order, round after round, until the vocabulary is full. Each round extends
     * the longest tokens, so it always adds at least one new token.
     */
    private static void fill(Map<String, Integer> vocab, List<String[]> merges, int target) {
        while (vocab.size() < target) {
            List<String> snapshot = new ArrayList<>(vocab.keySet());
            for (String left : snapshot) {
                if (!isWordLike(left)) {
                    continue;
                }
                for (int i = 0; i < FILL_LETTERS.length() && vocab.size() < target; i++) {
                    String right = String.valueOf(FILL_LETTERS.charAt(i));
                    if (vocab.putIfAbsent(left + right, vocab.size()) == null) {
                        merges.add(new String[] {left, right});
                    }
                }
                if (vocab.size() == target) {
                    return;
                }
            }
        }
    }

    private static boolean isWordLike(String token) {
        String space = BYTE_SYMBOLS[' '];
        String body = token.startsWith(space) ? token.substring(space.length()) : token;
        return body.isEmpty() ? token.equals(space) : body.chars().allMatch(c -> c < 128 && Character.isLetter(c));
    }

    private static ObjectNode document(Map<String, Integer> vocab, List<String[]> merges) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (String special : SPECIAL_TOKENS) {
            added.addObject()
                    .put("id", vocab.get(special))
                    .put("content", special)
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel(f));
        root.set("post_processor", bosTemplate(f, vocab.get("<s>")));
        root.set("decoder", byteLevel(f));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", "<unk>");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocabNode = model.putObject("vocab");
        vocab.forEach(vocabNode::put);
        ArrayNode mergeNode = model.putArray("merges");
        for (String[] merge : merges) {
            mergeNode.add(merge[0] + ' ' + merge[1]);
        }
        return root;
    }

    private static ObjectNode byteLevel(JsonNodeFactory f) {
        return f.objectNode()
                .put("type", "ByteLevel")
                .put("add_prefix_space", false)
                .put("trim_offsets", true)
                .put("use_regex", true);
    }

    private static ObjectNode bosTemplate(JsonNodeFactory f, int bosId) {
        ObjectNode node = f.objectNode().put("type", "TemplateProcessing");
        ArrayNode single = node.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = node.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = node.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(bosId);
        bos.putArray("tokens").add("<s>");
        return node;
    }
}
