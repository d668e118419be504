// A few paragraphs of plain English from which ByteLevelBpeGenerator learns its first merges.
package dev.strata.loader.tokenizer;

/** Training text for the generated tokenizer; changing it changes every generated vocabulary. */
final class BpeCorpus {

    static final String TEXT = """
            Hello world! This is the first program that many people write when they learn a new \
            language. It prints a short greeting, and then it stops. The program is small, but \
            it shows that the tools work and that the machine will do what we ask of it.

            A language model reads text as a sequence of tokens. Each token is a small piece of \
            a word, a whole word, or a mark of punctuation. The model looks at the tokens it has \
            seen so far and predicts the next one. Then it adds that token to the sequence and \
            does the same thing again, one step at a time, until the answer is complete.

            In the morning the river was calm and the air was cold. We walked along the water \
            with our friends, talking about the weather, the old houses on the hill, and the \
            stories our parents used to tell us. By noon the sun had warmed the stones, and the \
            children were running between the trees, laughing and calling to each other.

            Good software is written for people first and for computers second. Simple names, \
            short functions and clear tests make a program easier to read, to change and to \
            trust. When something goes wrong, a good error message says what happened, where it \
            happened, and what was expected instead.

            There are numbers everywhere: 1, 2, 3, 10, 42, 100, 2024 and 65536. Some questions \
            are easy to answer, like "What time is it?" or "Where is the station?" Others take \
            a lifetime. Still, every long journey begins with a single step, and every great \
            book begins with a single sentence.

            The quick brown fox jumps over the lazy dog. She sells sea shells by the sea shore. \
            How much wood would a woodchuck chuck if a woodchuck could chuck wood? These lines \
            are old, but they are still used to test keyboards, fonts and tongues.
            """;

    private BpeCorpus() {}
}
