// T5's relative position buckets against values worked out by hand from transformers'
// _relative_position_bucket (32 buckets, max distance 128): exact buckets near the query,
// logarithmic ones beyond, the last bucket for far keys; bidirectional (encoder) and causal
// (decoder), and the table layouts the T5 graphs read.
package dev.strata.engine.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RelativePositionBucketsTest {
    @Test
    void bidirectional() {
        int[][] cases = {{0, 0}, {-1, 1}, {1, 17}, {-7, 7}, {7, 23}, {-8, 8}, {-15, 9}, {15, 25}, {-128, 15}, {127, 31}, {-1000, 15}};
        for (int[] c : cases) assertEquals(c[1], RelativePositionBuckets.bucket(c[0], true, 32, 128), "relative position " + c[0]);
    }

    @Test
    void causal() {
        int[][] cases = {{0, 0}, {5, 0}, {-1, 1}, {-15, 15}, {-16, 16}, {-20, 17}, {-127, 31}, {-200, 31}};
        for (int[] c : cases) assertEquals(c[1], RelativePositionBuckets.bucket(c[0], false, 32, 128), "relative position " + c[0]);
    }

    @Test
    void tables() {
        // encoder, batch 2, length 2: rows (b, i), columns j: bucket(j - i)
        assertArrayEquals(new int[] {0, 17, 1, 0, 0, 17, 1, 0}, RelativePositionBuckets.encoder(2, 2, 32, 128));
        // decoder, query at absolute position past + i over capacity 3 keys: bucket(j - (past + i))
        assertArrayEquals(new int[] {1, 0, 0, 2, 1, 0}, RelativePositionBuckets.decoder(new int[] {1, 2}, 1, 3, 32, 128));
    }
}
