// Backends.select: an unknown name is refused naming every backend on the class path; an explicit
// name returns that backend (or says why it is unavailable), and "auto" picks an available one.
package dev.strata.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.strata.engine.backend.Backend;
import dev.strata.engine.backend.BackendException;
import dev.strata.engine.backend.Backends;
import org.junit.jupiter.api.Test;

class BackendSelectionTest {
    @Test
    void anUnknownNameIsRefusedNamingTheKnownBackends() {
        BackendException e = assertThrows(BackendException.class, () -> Backends.select("metal"));
        assertTrue(e.getMessage().contains("unknown backend 'metal'"), e.getMessage());
        for (String known : new String[] {"cpu", "opencl", "cuda"}) assertTrue(e.getMessage().contains(known), e.getMessage());
    }

    @Test
    void anExplicitNameSelectsThatBackend() {
        assertEquals("cpu", Backends.select("cpu").name());
        for (Backend b : Backends.all()) {
            if (b.availability().available()) assertEquals(b.name(), Backends.select(b.name()).name());
            else assertThrows(BackendException.class, () -> Backends.select(b.name()));
        }
        assertTrue(Backends.select("auto").availability().available());
    }
}
