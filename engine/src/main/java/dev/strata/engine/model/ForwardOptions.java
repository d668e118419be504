// What a forward graph returns: logits for every row or only each sequence's last row, the
// HF-style hidden states, and optionally the next token per logits row chosen on the device:
// ARGMAX (greedy), or SAMPLE (the Sample op, reading the I32 input "sampling" [rows, Sample.PARAMS]).
package dev.strata.engine.model;

public record ForwardOptions(boolean allLogits, boolean hiddenStates, NextToken nextToken) {
    /** How the graph's output "next_token" [rows, 1] is chosen, if it has one. */
    public enum NextToken { NONE, ARGMAX, SAMPLE }

    public ForwardOptions {
        if (nextToken == null) throw new IllegalArgumentException("nextToken is null; expected NONE, ARGMAX or SAMPLE");
    }

    /** Generation: last-row logits only. */
    public static final ForwardOptions GENERATE = new ForwardOptions(false, false, NextToken.NONE);
    /** Greedy generation: the next token is the last-row logits' argmax, taken on the device. */
    public static final ForwardOptions ARGMAX = new ForwardOptions(false, false, NextToken.ARGMAX);
    /** Generation with the next token drawn on the device from the last-row logits. */
    public static final ForwardOptions SAMPLE = new ForwardOptions(false, false, NextToken.SAMPLE);
    /** Evaluation: every row's logits and all hidden states. */
    public static final ForwardOptions EVAL = new ForwardOptions(true, true, NextToken.NONE);
}
