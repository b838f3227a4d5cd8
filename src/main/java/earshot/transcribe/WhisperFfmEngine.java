package earshot.transcribe;

import earshot.jobs.RetryableStageException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link WhisperEngine} over whisper.h through the FFM binding in {@link WhisperLibrary}: each model is loaded once
 * with {@code whisper_init_from_file_with_params_no_state} after {@link ModelValidator} passed it and shared; each
 * session owns a {@code whisper_state} and decodes with {@code whisper_full_with_state} ({@link FfmSession}).
 * <ul>
 *   <li>ggml has a global pool of 64 contexts: more than 8 states per JVM crash the process, so a semaphore caps
 *       live states at {@code audio.whisper.max_states} (at most {@value #MAX_STATES}).</li>
 *   <li>context and state creation and freeing take a JVM-wide write lock, decoding a read lock: decodes run in
 *       parallel, but a model is never freed under a running decode and ggml's allocator is never entered by two
 *       inits at once.</li>
 * </ul>
 *
 * <p>Threading: every method blocks in native code; call only from worker threads. One engine per JVM (the lock is
 * JVM-wide, the state cap is per engine).
 */
public final class WhisperFfmEngine implements WhisperEngine {
  public static final int MAX_STATES = 8;
  private static final Logger LOG = LoggerFactory.getLogger(WhisperFfmEngine.class);
  static final ReentrantReadWriteLock NATIVE = new ReentrantReadWriteLock();

  /** A loaded model: its {@code whisper_context *} and what the decoder needs to know about it. */
  record Model(MemorySegment ctx, boolean multilingual, int eot) {}

  private final WhisperLibrary lib;
  private final int maxStates;
  private final StatePermits states;
  private final AtomicInteger live_ = new AtomicInteger();
  private final Map<Path, Model> models = new ConcurrentHashMap<>(); // written only under synchronized (models)
  private final boolean tokenTimestamps;

  /**
   * @param libraryDir directory of {@code libwhisper.so.1} (e.g. a CUDA build of whisper.cpp 1.7.1), or null for
   *     whisper-jni's bundled CPU libraries
   * @throws IllegalStateException when the library cannot be loaded or fails the layout self-test
   */
  public WhisperFfmEngine(int maxStates, Path libraryDir) {
    this(maxStates, libraryDir, true);
  }

  /** {@code tokenTimestamps=false} skips word timing (used by the benchmark to compare equal work). */
  public WhisperFfmEngine(int maxStates, Path libraryDir, boolean tokenTimestamps) {
    if (maxStates < 1 || maxStates > MAX_STATES) {
      throw new IllegalArgumentException("max_states must be 1.." + MAX_STATES + ", was " + maxStates);
    }
    this.lib = WhisperLibrary.load(libraryDir);
    this.maxStates = maxStates;
    this.states = new StatePermits(maxStates);
    this.tokenTimestamps = tokenTimestamps;
  }

  /** The loaded library, for its path and the backend it reports. */
  public WhisperLibrary library() {
    return lib;
  }

  /** Decoder states alive now (for tests and metrics). */
  public int liveStates() {
    return live_.get();
  }

  /**
   * A batch session: it gives its state up between windows ({@link Session#yieldToLive}) while a live pass waits,
   * and takes one again behind the live passes.
   */
  /** Live passes waiting for a state now (for tests and metrics). */
  public int liveWaiting() {
    return states.liveWaiting();
  }

  @Override
  public Session open(Path modelFile, Duration wait) throws InterruptedException {
    Model model = model(modelFile.toAbsolutePath().normalize());
    return new BatchSession(model, wait, session(model, false, wait, modelFile));
  }

  /** A live pass's session: it takes a free state before any waiting batch job. */
  @Override
  public Session openLive(Path modelFile, Duration wait) throws InterruptedException {
    Model model = model(modelFile.toAbsolutePath().normalize());
    return session(model, true, wait, modelFile);
  }

  private FfmSession session(Model model, boolean live, Duration wait, Path modelFile) throws InterruptedException {
    if (!states.acquire(live, wait)) {
      throw new RetryableStageException("all " + maxStates + " whisper states stayed busy for " + wait);
    }
    try {
      MemorySegment state = writeLocked(() -> (MemorySegment) lib.initState.invokeExact(model.ctx()));
      if (state.equals(MemorySegment.NULL)) {
        throw new RetryableStageException("whisper.cpp could not allocate a decoder state for " + modelFile);
      }
      live_.incrementAndGet();
      return new FfmSession(lib, model, state, tokenTimestamps, this::release);
    } catch (RuntimeException e) {
      states.release();
      throw e;
    }
  }

  /** A batch job's session, whose state is handed to waiting live passes between windows. */
  private final class BatchSession implements Session {
    private final Model model;
    private final Duration wait;
    private FfmSession inner;

    BatchSession(Model model, Duration wait, FfmSession inner) {
      this.model = model;
      this.wait = wait;
      this.inner = inner;
    }

    @Override
    public boolean multilingual() {
      return model.multilingual();
    }

    @Override
    public Result transcribe(float[] samples, DecodeOptions options) {
      return inner.transcribe(samples, options);
    }

    @Override
    public Result transcribe(float[] samples, DecodeOptions options, Listener listener) {
      return inner.transcribe(samples, options, listener);
    }

    @Override
    public void yieldToLive() throws InterruptedException {
      if (states.liveWaiting() == 0) {
        return;
      }
      inner.close();
      inner = null;
      inner = session(model, false, wait, Path.of("(batch session)"));
    }

    @Override
    public void close() {
      if (inner != null) {
        inner.close();
      }
    }
  }

  /** Frees a session's state under the write lock and gives its slot back. */
  private void release(MemorySegment state) {
    try {
      writeLocked(() -> {
        lib.freeState.invokeExact(state);
        return null;
      });
    } finally {
      live_.decrementAndGet();
      states.release();
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
      Model model = writeLocked(() -> {
        try (Arena arena = Arena.ofConfined()) {
          MemorySegment cparams = (MemorySegment) lib.contextDefaultParams.invokeExact((SegmentAllocator) arena);
          MemorySegment ctx = (MemorySegment) lib.initFromFileWithParamsNoState.invokeExact(
              arena.allocateFrom(file.toString()), cparams);
          if (ctx.equals(MemorySegment.NULL)) {
            throw new RetryableStageException("whisper.cpp failed to load model " + file);
          }
          return new Model(ctx, (int) lib.isMultilingual.invokeExact(ctx) != 0, (int) lib.tokenEot.invokeExact(ctx));
        }
      });
      LOG.info("loaded whisper model {} ({}, {} tensors) on the {} backend", file.getFileName(), summary.hparams(),
          summary.tensors(), lib.backend());
      models.put(file, model);
      return model;
    }
  }

  @Override
  public void close() {
    synchronized (models) {
      if (live_.get() > 0) {
        LOG.warn("closing the whisper engine with {} sessions still open", live_.get());
      }
      writeLocked(() -> {
        for (Model m : models.values()) {
          lib.free.invokeExact(m.ctx());
        }
        return null;
      });
      models.clear();
    }
  }

  /** A native call that may throw anything a MethodHandle declares. */
  interface NativeCall<T> {
    T call() throws Throwable;
  }

  static <T> T writeLocked(NativeCall<T> work) {
    NATIVE.writeLock().lock();
    try {
      return work.call();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("whisper native call failed: " + e, e);
    } finally {
      NATIVE.writeLock().unlock();
    }
  }
}
