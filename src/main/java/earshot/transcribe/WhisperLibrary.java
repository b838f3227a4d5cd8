package earshot.transcribe;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.github.givimad.whisperjni.WhisperJNI;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whisper.h C API of whisper.cpp 1.7.1 bound with the Foreign Function &amp; Memory API: one downcall handle per
 * function Earshot uses, named exactly as in whisper.h. The library is either the one whisper-jni's loader extracts
 * (its CPU build) or {@code libwhisper.so.1} in a configured directory (for example a CUDA build of the same
 * release). Loading runs {@link FullParamsLayout#selfTest} before anything else may call into the library, so a
 * library whose struct layouts differ from ours is refused with a message instead of crashing the JVM.
 *
 * <p>Threading: loading is synchronized and happens once per JVM; the handles themselves are thread-safe, but every
 * call blocks in native code and belongs on a worker thread.
 */
public final class WhisperLibrary {
  private static final Logger LOG = LoggerFactory.getLogger(WhisperLibrary.class);
  static final String LIBRARY = "libwhisper.so.1";
  private static WhisperLibrary loaded;

  final Path path;
  final String systemInfo;

  final MethodHandle contextDefaultParams;
  final MethodHandle initFromFileWithParamsNoState;
  final MethodHandle initState;
  final MethodHandle free;
  final MethodHandle freeState;
  final MethodHandle isMultilingual;
  final MethodHandle fullDefaultParams;
  final MethodHandle fullWithState;
  final MethodHandle fullNSegmentsFromState;
  final MethodHandle fullLangIdFromState;
  final MethodHandle fullGetSegmentT0FromState;
  final MethodHandle fullGetSegmentT1FromState;
  final MethodHandle fullGetSegmentTextFromState;
  final MethodHandle fullNTokensFromState;
  final MethodHandle fullGetTokenDataFromState;
  final MethodHandle fullGetTokenTextFromState;
  final MethodHandle tokenEot;
  final MethodHandle langStr;
  final MethodHandle langMaxId;
  final MethodHandle langId;
  final MethodHandle langStrFull;
  final MethodHandle langAutoDetectWithState;
  /** Absent in whisper.cpp 1.7.1 (added later); present in newer builds given through the library directory. */
  final Optional<MethodHandle> fullGetSegmentNoSpeechProbFromState;

  private WhisperLibrary(Path path, SymbolLookup lookup) {
    this.path = path;
    Linker linker = Linker.nativeLinker();
    Binder b = new Binder(linker, lookup);
    contextDefaultParams = b.bind("whisper_context_default_params",
        FunctionDescriptor.of(FullParamsLayout.CONTEXT_PARAMS));
    initFromFileWithParamsNoState = b.bind("whisper_init_from_file_with_params_no_state",
        FunctionDescriptor.of(ADDRESS, ADDRESS, FullParamsLayout.CONTEXT_PARAMS));
    initState = b.bind("whisper_init_state", FunctionDescriptor.of(ADDRESS, ADDRESS));
    free = b.bind("whisper_free", FunctionDescriptor.ofVoid(ADDRESS));
    freeState = b.bind("whisper_free_state", FunctionDescriptor.ofVoid(ADDRESS));
    isMultilingual = b.bind("whisper_is_multilingual", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    fullDefaultParams = b.bind("whisper_full_default_params",
        FunctionDescriptor.of(FullParamsLayout.FULL_PARAMS, JAVA_INT));
    fullWithState = b.bind("whisper_full_with_state",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, FullParamsLayout.FULL_PARAMS, ADDRESS, JAVA_INT));
    fullNSegmentsFromState = b.bind("whisper_full_n_segments_from_state", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    fullLangIdFromState = b.bind("whisper_full_lang_id_from_state", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    fullGetSegmentT0FromState = b.bind("whisper_full_get_segment_t0_from_state",
        FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
    fullGetSegmentT1FromState = b.bind("whisper_full_get_segment_t1_from_state",
        FunctionDescriptor.of(JAVA_LONG, ADDRESS, JAVA_INT));
    fullGetSegmentTextFromState = b.bind("whisper_full_get_segment_text_from_state",
        FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_INT));
    fullNTokensFromState = b.bind("whisper_full_n_tokens_from_state",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT));
    fullGetTokenDataFromState = b.bind("whisper_full_get_token_data_from_state",
        FunctionDescriptor.of(FullParamsLayout.TOKEN_DATA, ADDRESS, JAVA_INT, JAVA_INT));
    fullGetTokenTextFromState = b.bind("whisper_full_get_token_text_from_state",
        FunctionDescriptor.of(ADDRESS, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT));
    tokenEot = b.bind("whisper_token_eot", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    langStr = b.bind("whisper_lang_str", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    langMaxId = b.bind("whisper_lang_max_id", FunctionDescriptor.of(JAVA_INT));
    langId = b.bind("whisper_lang_id", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    langStrFull = b.bind("whisper_lang_str_full", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    langAutoDetectWithState = b.bind("whisper_lang_auto_detect_with_state",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
    fullGetSegmentNoSpeechProbFromState = b.optional("whisper_full_get_segment_no_speech_prob_from_state",
        FunctionDescriptor.of(JAVA_FLOAT, ADDRESS, JAVA_INT));
    MethodHandle logSet = b.bind("whisper_log_set", FunctionDescriptor.ofVoid(ADDRESS, ADDRESS));
    try {
      // whisper.cpp logs to stderr by default; route it to SLF4J like the rest of the server
      MemorySegment stub = linker.upcallStub(java.lang.invoke.MethodHandles.lookup().findStatic(WhisperLibrary.class,
              "onNativeLog", java.lang.invoke.MethodType.methodType(void.class, int.class, MemorySegment.class,
                  MemorySegment.class)),
          FunctionDescriptor.ofVoid(JAVA_INT, ADDRESS, ADDRESS), Arena.global());
      logSet.invokeExact(stub, MemorySegment.NULL);
    } catch (Throwable e) {
      throw new IllegalStateException("whisper_log_set failed", e);
    }
    MethodHandle printSystemInfo = b.bind("whisper_print_system_info", FunctionDescriptor.of(ADDRESS));
    try {
      systemInfo = cString((MemorySegment) printSystemInfo.invokeExact()).strip();
    } catch (Throwable e) {
      throw new IllegalStateException("whisper_print_system_info failed", e);
    }
  }

  /** ggml_log_callback: any thread that is in whisper.cpp; must never throw into C. */
  private static void onNativeLog(int level, MemorySegment text, MemorySegment userData) {
    try {
      if (LOG.isDebugEnabled()) {
        LOG.debug("whisper.cpp: {}", cString(text).strip());
      }
    } catch (Throwable ignored) {
      // a log line is not worth a crash
    }
  }

  /**
   * Loads the library once per JVM and checks its struct layouts.
   *
   * @param libraryDir a directory holding {@code libwhisper.so.1} and its ggml libraries, or null for the CPU build
   *     that whisper-jni bundles
   * @throws IllegalStateException when the library cannot be loaded or its layouts do not match this binding
   */
  public static synchronized WhisperLibrary load(Path libraryDir) {
    if (loaded != null) {
      Path wanted = libraryDir == null ? null : libraryDir.resolve(LIBRARY).toAbsolutePath().normalize();
      if (wanted != null && !wanted.equals(loaded.path)) {
        throw new IllegalStateException("whisper library already loaded from " + loaded.path + ", not " + wanted);
      }
      return loaded;
    }
    Path file = libraryDir != null ? libraryDir.resolve(LIBRARY).toAbsolutePath().normalize() : bundledLibrary();
    if (!Files.isRegularFile(file)) {
      throw new IllegalStateException("no " + LIBRARY + " in " + file.getParent());
    }
    SymbolLookup lookup;
    try {
      lookup = SymbolLookup.libraryLookup(file, Arena.global());
    } catch (IllegalArgumentException e) {
      throw new IllegalStateException("cannot load " + file + ": " + e.getMessage(), e);
    }
    WhisperLibrary lib = new WhisperLibrary(file, lookup);
    FullParamsLayout.selfTest(lib);
    LOG.info("whisper library {} passed the layout self-test; system info: {}", file, lib.systemInfo);
    loaded = lib;
    return lib;
  }

  /** The library this JVM bound, if one was loaded (one per process: native code cannot be unloaded). */
  public static synchronized Optional<WhisperLibrary> active() {
    return Optional.ofNullable(loaded);
  }

  /** {@code {backend, system_info, library}} for /ready. */
  public io.vertx.core.json.JsonObject describe() {
    return new io.vertx.core.json.JsonObject().put("backend", backend()).put("system_info", systemInfo)
        .put("library", path.toString());
  }

  /** The backend line of whisper_print_system_info, e.g. {@code "AVX = 1 | ... | CUDA = 0 | ..."}. */
  public String systemInfo() {
    return systemInfo;
  }

  /** "cuda" when the library was built with CUDA and "cpu" otherwise, as whisper_print_system_info tells. */
  public String backend() {
    return systemInfo.matches("(?s).*CUDA = 1.*") ? "cuda" : "cpu";
  }

  public Path path() {
    return path;
  }

  /**
   * Has whisper-jni extract its bundled libraries (it picks the CPU variant) and finds the extracted
   * {@code libwhisper.so.1} through the process's memory map, so no directory name is guessed.
   */
  private static Path bundledLibrary() {
    try {
      Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
      WhisperJNI.loadLibrary();
    } catch (IOException | UnsatisfiedLinkError e) {
      throw new IllegalStateException("cannot extract whisper-jni's native libraries: " + e.getMessage(), e);
    }
    try (var lines = Files.lines(Path.of("/proc/self/maps"))) {
      return lines.map(l -> l.substring(l.indexOf('/') < 0 ? l.length() : l.indexOf('/')))
          .filter(p -> p.endsWith("/" + LIBRARY))
          .map(Path::of)
          .reduce((a, b) -> b)
          .orElseThrow(() -> new IllegalStateException("whisper-jni loaded, but " + LIBRARY + " is not mapped"));
    } catch (IOException e) {
      throw new IllegalStateException("cannot read /proc/self/maps: " + e.getMessage(), e);
    }
  }

  /**
   * Reads a NUL-terminated C string as bytes and decodes it as UTF-8 here: whisper-jni's modified-UTF-8 conversion
   * mangles 4-byte characters, and a token may end inside a character, which this decodes to U+FFFD.
   */
  static String cString(MemorySegment p) {
    return new String(cBytes(p), StandardCharsets.UTF_8);
  }

  static byte[] cBytes(MemorySegment p) {
    if (p.equals(MemorySegment.NULL)) {
      return new byte[0];
    }
    MemorySegment s = p.reinterpret(Integer.MAX_VALUE);
    long n = 0;
    while (s.get(java.lang.foreign.ValueLayout.JAVA_BYTE, n) != 0) {
      n++;
    }
    return s.asSlice(0, n).toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
  }

  /** Looks symbols up and turns them into downcall handles, failing with the name of a missing one. */
  private record Binder(Linker linker, SymbolLookup lookup) {
    MethodHandle bind(String name, FunctionDescriptor fd) {
      return optional(name, fd).orElseThrow(() -> new IllegalStateException(
          "whisper library does not export " + name + "; it is not whisper.cpp 1.7.x"));
    }

    Optional<MethodHandle> optional(String name, FunctionDescriptor fd) {
      return lookup.find(name).map(addr -> linker.downcallHandle(addr, fd));
    }
  }
}
