// What a forward graph returns: logits for every row or only each sequence's last row,
// the HF-style hidden states, and a device-side argmax of the logits.
package dev.strata.engine.model;

public record ForwardOptions(boolean allLogits, boolean hiddenStates, boolean argmax) {
    /** Generation: last-row logits only. */
    public static final ForwardOptions GENERATE = new ForwardOptions(false, false, false);
    /** Evaluation: every row's logits and all hidden states. */
    public static final ForwardOptions EVAL = new ForwardOptions(true, true, false);
}
