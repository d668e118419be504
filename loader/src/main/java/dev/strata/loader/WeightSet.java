// A model directory's weights: one safetensors file or several shards joined by model.safetensors.index.json.
package dev.strata.loader;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;

/** Name-to-tensor view over one or more open {@link SafetensorsFile}s, which it owns and closes. */
public final class WeightSet implements WeightSource {

    public static final String INDEX_FILE = "model.safetensors.index.json";
    public static final String SINGLE_FILE = "model.safetensors";

    private final String source;
    private final List<SafetensorsFile> files;
    private final Map<String, SafetensorsFile> byName;

    private WeightSet(String source, List<SafetensorsFile> files, Map<String, SafetensorsFile> byName) {
        this.source = source;
        this.files = List.copyOf(files);
        this.byName = Collections.unmodifiableMap(byName);
    }

    /** Takes ownership of {@code file}: closing the set closes it. */
    public static WeightSet of(SafetensorsFile file) {
        Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
        file.tensors().keySet().forEach(n -> byName.put(n, file));
        return new WeightSet(file.path().toString(), List.of(file), byName);
    }

    public static WeightSet open(Path dir) throws IOException {
        Path index = dir.resolve(INDEX_FILE);
        if (Files.isRegularFile(index)) {
            return openSharded(dir, index);
        }
        return of(SafetensorsFile.open(singleFile(dir)));
    }

    private static Path singleFile(Path dir) throws IOException {
        Path single = dir.resolve(SINGLE_FILE);
        if (Files.isRegularFile(single)) {
            return single;
        }
        List<Path> found = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, "*.safetensors")) {
            ds.forEach(found::add);
        }
        if (found.size() != 1) {
            throw new SafetensorsException(dir + ": expected " + INDEX_FILE + ", " + SINGLE_FILE
                    + " or exactly one *.safetensors file; found " + found.size()
                    + (found.isEmpty() ? "" : " " + found.stream().map(p -> p.getFileName().toString()).sorted().toList()));
        }
        return found.getFirst();
    }

    private static WeightSet openSharded(Path dir, Path index) throws IOException {
        Map<String, String> weightMap = readWeightMap(index);
        Map<String, SafetensorsFile> shards = new LinkedHashMap<>();
        try {
            Map<String, SafetensorsFile> byName = new LinkedHashMap<>();
            for (Map.Entry<String, String> e : weightMap.entrySet()) {
                String shardName = e.getValue();
                SafetensorsFile shard = shards.get(shardName);
                if (shard == null) {
                    shard = SafetensorsFile.open(dir.resolve(checkShardName(shardName, index)));
                    shards.put(shardName, shard);
                }
                if (!shard.contains(e.getKey())) {
                    throw new SafetensorsException(index + ": weight_map puts tensor '" + e.getKey() + "' in "
                            + shardName + ", which does not contain it");
                }
                byName.put(e.getKey(), shard);
            }
            return new WeightSet(index.toString(), new ArrayList<>(shards.values()), byName);
        } catch (IOException | RuntimeException ex) {
            shards.values().forEach(SafetensorsFile::close);
            throw ex;
        }
    }

    private static Map<String, String> readWeightMap(Path index) throws IOException {
        long size = Files.size(index);
        if (size > SafetensorsFile.MAX_HEADER_BYTES) {
            throw new SafetensorsException(index + ": index is " + size + " bytes; the limit is "
                    + SafetensorsFile.MAX_HEADER_BYTES);
        }
        JsonNode root;
        try {
            root = Json.STRICT.readTree(Files.readString(index));
        } catch (JacksonException ex) {
            throw new SafetensorsException(index + ": not valid JSON: " + ex.getOriginalMessage(), ex);
        }
        JsonNode map = root == null ? null : root.get("weight_map");
        if (map == null || !map.isObject()) {
            throw new SafetensorsException(index + ": expected an object 'weight_map' of tensor name to shard file");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : map.properties()) {
            if (!e.getValue().isTextual()) {
                throw new SafetensorsException(index + ": weight_map entry '" + e.getKey()
                        + "' must be a file name string; got " + e.getValue());
            }
            out.put(e.getKey(), e.getValue().textValue());
        }
        return out;
    }

    /** Shard names must be plain file names inside the model directory. */
    private static String checkShardName(String name, Path index) throws SafetensorsException {
        if (name.isEmpty() || name.contains("/") || name.contains("\\") || name.contains("..")
                || name.indexOf('\0') >= 0 || Path.of(name).isAbsolute()) {
            throw new SafetensorsException(index + ": shard file name '" + name
                    + "' must be a plain file name in the model directory");
        }
        return name;
    }

    @Override
    public boolean contains(String name) {
        return byName.containsKey(name);
    }

    @Override
    public TensorInfo info(String name) {
        return file(name).info(name);
    }

    @Override
    public MemorySegment data(String name) {
        return file(name).data(name);
    }

    /** Tensor names: the index's weight_map order, or the single file's header order. */
    @Override
    public Set<String> names() {
        return byName.keySet();
    }


    public List<SafetensorsFile> files() {
        return files;
    }

    private SafetensorsFile file(String name) {
        SafetensorsFile f = byName.get(name);
        if (f == null) {
            throw new NoSuchElementException("tensor '" + name + "' not found in " + source + " ("
                    + byName.size() + " tensors)");
        }
        return f;
    }

    @Override
    public void close() {
        files.forEach(SafetensorsFile::close);
    }
}
