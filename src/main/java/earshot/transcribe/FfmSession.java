package earshot.transcribe;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import earshot.jobs.RetryableStageException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One job's {@code whisper_state} and one decode at a time through {@code whisper_full_with_state}. The three
 * callbacks (new segment, progress, abort) are upcall stubs made once per session in its own arena; they forward to
 * the {@link WhisperEngine.Listener} of the decode in progress. An exception must never unwind into C, so every
 * callback catches everything and records it; the decode then fails with it.
 *
 * <p>Threading: {@link #transcribe} blocks in native code on the calling worker thread, which also receives the
 * segment and progress callbacks; the abort callback can come from ggml's compute threads, hence the shared arena.
 * Not thread-safe: one decode at a time.
 */
final class FfmSession implements WhisperEngine.Session {
  private static final Logger LOG = LoggerFactory.getLogger(FfmSession.class);
  /** Samples whisper.cpp 1.7.1 needs before it decodes anything ("input is too short" below 100 mel frames). */
  static final int MIN_SAMPLES = PcmFile.SAMPLE_RATE + PcmFile.SAMPLE_RATE / 20;

  private final WhisperLibrary lib;
  private final WhisperFfmEngine.Model model;
  private final boolean tokenTimestamps;
  private boolean wordsThisCall;
  private final Consumer<MemorySegment> onClose;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment newSegmentStub;
  private final MemorySegment progressStub;
  private final MemorySegment abortStub;
  private final FfmSegments segments;
  private MemorySegment state;

  // the decode in progress; written and read on the decoding thread, except listener read by abort()
  private volatile WhisperEngine.Listener listener = WhisperEngine.NO_LISTENER;
  private List<WhisperEngine.RawSegment> produced = new ArrayList<>();
  private long lengthMs;
  private int lastProgress;
  private Throwable callbackFailure;

  FfmSession(WhisperLibrary lib, WhisperFfmEngine.Model model, MemorySegment state, boolean tokenTimestamps,
             Consumer<MemorySegment> onClose) {
    this.lib = lib;
    this.model = model;
    this.state = state;
    this.tokenTimestamps = tokenTimestamps;
    this.onClose = onClose;
    Linker linker = Linker.nativeLinker();
    try {
      var lookup = MethodHandles.lookup();
      newSegmentStub = linker.upcallStub(lookup.findVirtual(FfmSession.class, "onNewSegment",
              MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class, int.class,
                  MemorySegment.class)).bindTo(this),
          FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, ADDRESS), arena);
      progressStub = linker.upcallStub(lookup.findVirtual(FfmSession.class, "onProgress",
              MethodType.methodType(void.class, MemorySegment.class, MemorySegment.class, int.class,
                  MemorySegment.class)).bindTo(this),
          FunctionDescriptor.ofVoid(ADDRESS, ADDRESS, JAVA_INT, ADDRESS), arena);
      abortStub = linker.upcallStub(lookup.findVirtual(FfmSession.class, "onAbort",
              MethodType.methodType(boolean.class, MemorySegment.class)).bindTo(this),
          FunctionDescriptor.of(JAVA_BOOLEAN, ADDRESS), arena);
    } catch (ReflectiveOperationException e) {
      arena.close();
      throw new IllegalStateException(e);
    }
    segments = new FfmSegments(lib, model, state, arena.allocate(FullParamsLayout.TOKEN_DATA));
  }

  @Override
  public boolean multilingual() {
    return model.multilingual();
  }

  @Override
  public WhisperEngine.Result transcribe(float[] samples, WhisperEngine.DecodeOptions options) {
    return transcribe(samples, options, WhisperEngine.NO_LISTENER);
  }

  @Override
  public WhisperEngine.Result transcribe(float[] samples, WhisperEngine.DecodeOptions options,
                                        WhisperEngine.Listener l) {
    if (state == null) {
      throw new IllegalStateException("session closed");
    }
    String language = model.multilingual() ? Languages.orAuto(options.language()) : "en";
    if (samples.length == 0) {
      return new WhisperEngine.Result(List.of(), language);
    }
    float[] input = samples.length >= MIN_SAMPLES ? samples : Arrays.copyOf(samples, MIN_SAMPLES);
    listener = l;
    produced = new ArrayList<>();
    lengthMs = samples.length * 1000L / PcmFile.SAMPLE_RATE;
    lastProgress = 0;
    callbackFailure = null;
    // Token timing costs a pass per token: only when the job asked for word timestamps.
    wordsThisCall = tokenTimestamps && options.wordTimestamps();
    WhisperFfmEngine.NATIVE.readLock().lock();
    try (Arena call = Arena.ofConfined()) {
      MemorySegment params = FullParams.build(lib, call, options, language, model.multilingual(), wordsThisCall,
          new FullParams.Callbacks(newSegmentStub, progressStub, abortStub));
      MemorySegment pcm = call.allocateFrom(JAVA_FLOAT, input);
      int rc = (int) lib.fullWithState.invokeExact(model.ctx(), state, params, pcm, input.length);
      if (callbackFailure != null) {
        throw new IllegalStateException("a whisper callback failed: " + callbackFailure, callbackFailure);
      }
      if (l.cancelled()) {
        return new WhisperEngine.Result(List.copyOf(produced), language, null, true);
      }
      if (rc != 0) {
        throw new RetryableStageException("whisper_full_with_state failed with code " + rc);
      }
      List<WhisperEngine.RawSegment> all = readNewSegments(); // any the callback did not see
      Double probability = null;
      if ("auto".equals(language)) {
        int id = (int) lib.fullLangIdFromState.invokeExact(state);
        language = WhisperLibrary.cString((MemorySegment) lib.langStr.invokeExact(id));
        probability = languageProbability(call, id, options);
      }
      progress(100);
      return new WhisperEngine.Result(all, language, probability, false);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable e) {
      throw new IllegalStateException("whisper native call failed: " + e, e);
    } finally {
      WhisperFfmEngine.NATIVE.readLock().unlock();
      listener = WhisperEngine.NO_LISTENER;
    }
  }

  /**
   * whisper.cpp 1.7.1 logs the detected language's probability but does not keep it; detecting again on the state's
   * mel (the first 30 s, as whisper_full did) recovers it. Runs only after every result was read.
   */
  private Double languageProbability(Arena call, int id, WhisperEngine.DecodeOptions o) throws Throwable {
    int n = (int) lib.langMaxId.invokeExact() + 1;
    MemorySegment probs = call.allocate(JAVA_FLOAT, n);
    int top = (int) lib.langAutoDetectWithState.invokeExact(model.ctx(), state, 0, FullParams.threads(o), probs);
    return top < 0 || id < 0 || id >= n ? null : (double) probs.getAtIndex(JAVA_FLOAT, id);
  }

  private List<WhisperEngine.RawSegment> readNewSegments() throws Throwable {
    int n = segments.count();
    for (int i = produced.size(); i < n; i++) {
      long prevEnd = produced.isEmpty() ? 0 : produced.getLast().endMs();
      WhisperEngine.RawSegment s = segments.read(i, prevEnd, lengthMs, wordsThisCall);
      produced.add(s);
      listener.segment(s);
    }
    return List.copyOf(produced);
  }

  /** whisper_new_segment_callback: reads the segments that just became final and hands them on. */
  private void onNewSegment(MemorySegment ctx, MemorySegment st, int nNew, MemorySegment userData) {
    try {
      if (callbackFailure == null) {
        readNewSegments();
      }
    } catch (Throwable e) {
      callbackFailure = e;
    }
  }

  /** whisper_progress_callback: forwarded only when it rises, so the job's progress never goes back. */
  private void onProgress(MemorySegment ctx, MemorySegment st, int percent, MemorySegment userData) {
    try {
      progress(Math.min(percent, 99)); // 100 only once the results are read
    } catch (Throwable e) {
      callbackFailure = e;
    }
  }

  private void progress(int percent) {
    if (percent > lastProgress) {
      lastProgress = percent;
      listener.progress(percent);
    }
  }

  /** ggml_abort_callback: true stops ggml's graph computation and with it whisper_full. */
  private boolean onAbort(MemorySegment userData) {
    try {
      return listener.cancelled();
    } catch (Throwable e) {
      LOG.warn("cancel check failed; stopping the decode", e);
      return true;
    }
  }

  @Override
  public void close() {
    if (state == null) {
      return;
    }
    MemorySegment s = state;
    state = null;
    try {
      onClose.accept(s);
    } finally {
      arena.close();
    }
  }
}
