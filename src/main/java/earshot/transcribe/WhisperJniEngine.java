package earshot.transcribe;

import earshot.pipeline.RetryableStageException;
import io.github.givimad.whisperjni.WhisperContext;
import io.github.givimad.whisperjni.WhisperFullParams;
import io.github.givimad.whisperjni.WhisperJNI;
import io.github.givimad.whisperjni.WhisperSamplingStrategy;
import io.github.givimad.whisperjni.WhisperState;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link WhisperEngine} over whisper-jni 1.7.1 (whisper.cpp 1.7.1, CPU build). Each model is loaded once with
 * {@code initNoState} after {@link ModelValidator} passed it, and shared; each session gets its own
 * {@code WhisperState}. Limits measured in the whisper-jni notes shape this class:
 * <ul>
 *   <li>ggml has a global pool of 64 contexts: more than 8 states per JVM crash the process, so a semaphore caps
 *       live states at {@code audio.whisper.max_states} (at most {@value #MAX_STATES}).</li>
 *   <li>the JNI keeps its handles in an unsynchronised {@code std::map}: init and free take a JVM-wide write lock,
 *       every call that looks a handle up (full, segment getters) a read lock, so decoding runs in parallel.</li>
 *   <li>whisper.cpp 1.7.1 skips audio under one second; such audio is padded with silence here.</li>
 * </ul>
 *
 * <p>Threading: every method blocks in native code; call only from worker threads. One engine per JVM (the locks
 * are JVM-wide, the state cap is per engine).
 */
public final class WhisperJniEngine implements WhisperEngine {
  public static final int MAX_STATES = 8;
  private static final Logger LOG = LoggerFactory.getLogger(WhisperJniEngine.class);
  private static final ReentrantReadWriteLock NATIVE = new ReentrantReadWriteLock();
  private static final Pattern DETECTED = Pattern.compile("auto-detected language: ([a-z]{2,3})");
  /** whisper.cpp logs the detected language only; its log callback runs on the decoding thread. */
  private static final ThreadLocal<String[]> DETECTED_ON_THIS_THREAD = new ThreadLocal<>();
  /** Samples whisper.cpp 1.7.1 needs before it decodes anything ("input is too short" below 100 mel frames). */
  static final int MIN_SAMPLES = PcmFile.SAMPLE_RATE + PcmFile.SAMPLE_RATE / 20;
  private static volatile WhisperJNI jni;

  private record Model(WhisperContext ctx, boolean multilingual) {}

  private final int maxStates;
  private final Semaphore states;
  private final AtomicInteger live = new AtomicInteger();
  private final Map<Path, Model> models = new ConcurrentHashMap<>(); // written only under synchronized (models)

  public WhisperJniEngine(int maxStates) {
    if (maxStates < 1 || maxStates > MAX_STATES) {
      throw new IllegalArgumentException("max_states must be 1.." + MAX_STATES + ", was " + maxStates);
    }
    this.maxStates = maxStates;
    this.states = new Semaphore(maxStates, true);
  }

  /** Decoder states alive now (for tests and metrics). */
  public int liveStates() {
    return live.get();
  }

  public int maxStates() {
    return maxStates;
  }

  /** Loads the native libraries once per JVM (extracts them to java.io.tmpdir). */
  static WhisperJNI loadNative() {
    WhisperJNI j = jni;
    if (j == null) {
      synchronized (WhisperJniEngine.class) {
        if (jni == null) {
          try {
            // the loader extracts into java.io.tmpdir with a plain mkdir: a missing tmpdir fails the load
            java.nio.file.Files.createDirectories(Path.of(System.getProperty("java.io.tmpdir")));
            WhisperJNI.loadLibrary(WhisperJniEngine::onNativeLog);
            // routes whisper.cpp's own log (where the detected language appears) to onNativeLog
            WhisperJNI.setLibraryLogger(WhisperJniEngine::onNativeLog);
          } catch (IOException | UnsatisfiedLinkError e) {
            throw new IllegalStateException("cannot load whisper-jni native libraries: " + e.getMessage(), e);
          }
          jni = new WhisperJNI();
        }
        j = jni;
      }
    }
    return j;
  }

  private static void onNativeLog(String line) {
    String[] sink = DETECTED_ON_THIS_THREAD.get();
    if (sink != null) {
      Matcher m = DETECTED.matcher(line);
      if (m.find()) {
        sink[0] = m.group(1);
      }
    }
    LOG.debug("whisper.cpp: {}", line.strip());
  }

  @Override
  public Session open(Path modelFile, Duration wait) throws InterruptedException {
    Model model = model(modelFile.toAbsolutePath().normalize());
    if (!states.tryAcquire(wait.toMillis(), TimeUnit.MILLISECONDS)) {
      throw new RetryableStageException("all " + maxStates + " whisper states stayed busy for " + wait);
    }
    try {
      WhisperState state = locked(NATIVE.writeLock(), () -> jni.initState(model.ctx()));
      if (state == null) {
        throw new RetryableStageException("whisper.cpp could not allocate a decoder state for " + modelFile);
      }
      live.incrementAndGet();
      return new JniSession(model, state);
    } catch (RuntimeException e) {
      states.release();
      throw e;
    }
  }

  private Model model(Path file) {
    Model ready = models.get(file);
    if (ready != null) {
      return ready; // the common case: no lock, so a job is not held up while another model loads
    }
    synchronized (models) {
      Model loaded = models.get(file);
      if (loaded != null) {
        return loaded;
      }
      ModelValidator.Summary summary = ModelValidator.validate(file);
      WhisperJNI j = loadNative();
      WhisperContext ctx = locked(NATIVE.writeLock(), () -> {
        try {
          return j.initNoState(file);
        } catch (IOException e) {
          throw new RetryableStageException("cannot load model " + file + ": " + e.getMessage(), e);
        }
      });
      if (ctx == null) {
        throw new RetryableStageException("whisper.cpp failed to load model " + file);
      }
      boolean multilingual = locked(NATIVE.readLock(), () -> j.isMultilingual(ctx));
      LOG.info("loaded whisper model {} ({}, {} tensors)", file.getFileName(), summary.hparams(), summary.tensors());
      Model model = new Model(ctx, multilingual);
      models.put(file, model);
      return model;
    }
  }

  @Override
  public void close() {
    synchronized (models) {
      if (live.get() > 0) {
        LOG.warn("closing the whisper engine with {} sessions still open", live.get());
      }
      locked(NATIVE.writeLock(), () -> {
        models.values().forEach(m -> jni.free(m.ctx()));
        return null;
      });
      models.clear();
    }
  }

  private static <T> T locked(Lock lock, Supplier<T> work) {
    lock.lock();
    try {
      return work.get();
    } finally {
      lock.unlock();
    }
  }

  static WhisperFullParams params(DecodeOptions o, boolean multilingual) {
    WhisperFullParams p = new WhisperFullParams(
        o.beamSize() > 1 ? WhisperSamplingStrategy.BEAN_SEARCH : WhisperSamplingStrategy.GREEDY);
    if (o.beamSize() > 1) {
      p.beamSearchBeamSize = o.beamSize();
    }
    p.nThreads = o.threads() > 0 ? o.threads() : Runtime.getRuntime().availableProcessors();
    // An English-only model cannot detect or translate; whisper.cpp's own CLI forces "en" the same way.
    p.language = multilingual ? languageOrAuto(o.language()) : "en";
    p.translate = multilingual && o.translate();
    p.detectLanguage = false; // true would stop after detection with no segments
    if (o.initialPrompt() != null && !o.initialPrompt().isBlank()) {
      p.initialPrompt = o.initialPrompt();
    }
    p.temperature = o.temperature();
    // printRealtime writes to the process's stdout; none of these belong in a server.
    p.printSpecial = false;
    p.printProgress = false;
    p.printRealtime = false;
    p.printTimestamps = false;
    return p;
  }

  static String languageOrAuto(String language) {
    return language == null || language.isBlank() ? "auto" : language.trim().toLowerCase(java.util.Locale.ROOT);
  }

  /** One job's state; closing frees it under the write lock and releases its semaphore permit. */
  private final class JniSession implements Session {
    private final Model model;
    private WhisperState state;

    JniSession(Model model, WhisperState state) {
      this.model = model;
      this.state = state;
    }

    @Override
    public boolean multilingual() {
      return model.multilingual();
    }

    @Override
    public Result transcribe(float[] samples, DecodeOptions options) {
      if (state == null) {
        throw new IllegalStateException("session closed");
      }
      WhisperFullParams params = params(options, model.multilingual());
      if (samples.length == 0) {
        return new Result(List.of(), params.language);
      }
      float[] input = samples.length >= MIN_SAMPLES ? samples : java.util.Arrays.copyOf(samples, MIN_SAMPLES);
      String[] detected = new String[1];
      DETECTED_ON_THIS_THREAD.set(detected);
      NATIVE.readLock().lock();
      try {
        int rc = jni.fullWithState(model.ctx(), state, params, input, input.length);
        if (rc != 0) {
          throw new RetryableStageException("whisper_full failed with code " + rc);
        }
        String language = "auto".equals(params.language) ? detected[0] : params.language;
        return new Result(segments(samples.length * 1000L / PcmFile.SAMPLE_RATE), language);
      } finally {
        NATIVE.readLock().unlock();
        DETECTED_ON_THIS_THREAD.remove();
      }
    }

    /**
     * Reads the segments (10 ms units) and makes their times sane: whisper.cpp 1.7.1 reports a negative t0 in some
     * modes and t1 past the end of the audio, so times are clamped to the audio and kept monotonic.
     */
    private List<RawSegment> segments(long lengthMs) {
      int n = jni.fullNSegmentsFromState(state);
      List<RawSegment> out = new ArrayList<>(n);
      long prevEnd = 0;
      for (int i = 0; i < n; i++) {
        long t0 = jni.fullGetSegmentTimestamp0FromState(state, i) * 10;
        long t1 = jni.fullGetSegmentTimestamp1FromState(state, i) * 10;
        long start = Math.min(Math.max(t0, prevEnd), lengthMs);
        long end = Math.min(Math.max(t1, start), lengthMs);
        out.add(new RawSegment(start, end, jni.fullGetSegmentTextFromState(state, i)));
        prevEnd = end;
      }
      return out;
    }

    @Override
    public void close() {
      if (state == null) {
        return;
      }
      WhisperState s = state;
      state = null;
      try {
        locked(NATIVE.writeLock(), () -> {
          jni.free(s);
          return null;
        });
      } finally {
        live.decrementAndGet();
        states.release();
      }
    }
  }
}
