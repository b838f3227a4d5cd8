package earshot.transcribe;

import earshot.transcribe.WhisperEngine.DecodeOptions;
import earshot.transcribe.WhisperEngine.RawSegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Transcribes a PCM file window by window: {@link EnergyCutter} picks each cut near the configured window length
 * (minutes, so that only very long audio is cut), only that window is read into memory, and segment and word times
 * are shifted by the window's offset so they stay absolute. Inside a window the engine reports progress (scaled here
 * to the whole file) and polls the cancel flag, so a cancel stops even a running whisper_full.
 *
 * <p>Threading: runs entirely on the calling worker thread; callbacks are invoked on it too, except the cancel flag,
 * which the engine may poll from its compute threads.
 */
public final class WindowedTranscriber {

  /** What a run produced; {@code aborted} when the cancel flag stopped it before the end. */
  public record Result(List<Transcript.Segment> segments, String language, Double languageProbability,
                       double durationSeconds, int windows, boolean aborted) {
    public String text() {
      StringBuilder sb = new StringBuilder();
      segments.forEach(s -> sb.append(sb.isEmpty() ? "" : " ").append(s.text()));
      return sb.toString();
    }
  }

  private final EnergyCutter cutter;

  public WindowedTranscriber(EnergyCutter cutter) {
    this.cutter = cutter;
  }

  public Result run(WhisperEngine.Session session, PcmFile pcm, DecodeOptions options, IntConsumer progressSink,
                    BooleanSupplier cancelled) {
    int[] last = {0};
    IntConsumer progress = p -> {
      if (p > last[0]) { // window ends are reported by the engine and here; the job sees each value once
        last[0] = p;
        progressSink.accept(p);
      }
    };
    List<Transcript.Segment> segments = new ArrayList<>();
    long total = pcm.samples();
    DecodeOptions current = options;
    String language = null;
    Double languageProbability = null;
    long start = 0;
    int windows = 0;
    while (start < total) {
      if (cancelled.getAsBoolean()) {
        return new Result(segments, language, languageProbability, pcm.durationSeconds(), windows, true);
      }
      if (windows > 0) {
        try {
          session.yieldToLive(); // a live stream waiting for a state decodes before this job's next window
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return new Result(segments, language, languageProbability, pcm.durationSeconds(), windows, true);
        }
      }
      long from = start;
      long end = cutter.nextCut(pcm, start);
      float[] samples = pcm.read(start, Math.toIntExact(end - start));
      WhisperEngine.Result window = session.transcribe(samples, current, new WhisperEngine.Listener() {
        @Override
        public void progress(int percent) {
          // below the window's end value, which only a finished window reports
          progress.accept((int) Math.min((from + (end - from) * percent / 100) * 100 / total, end * 100 / total - 1));
        }

        @Override
        public boolean cancelled() {
          return cancelled.getAsBoolean();
        }
      });
      long offsetMs = start * 1000 / PcmFile.SAMPLE_RATE;
      window.segments().forEach(s -> segments.add(absolute(s, offsetMs, segments)));
      if (window.aborted()) {
        return new Result(segments, language, languageProbability, pcm.durationSeconds(), windows, true);
      }
      if (language == null && window.language() != null) {
        language = window.language();
        languageProbability = window.languageProbability();
        // Detect once: later windows decode in the language the first one found, which keeps the text consistent.
        current = options.withLanguage(language);
      }
      windows++;
      start = end;
      progress.accept((int) (start * 100 / total));
    }
    return new Result(segments, language, languageProbability, pcm.durationSeconds(), windows, false);
  }

  private static Transcript.Segment absolute(RawSegment s, long offsetMs, List<Transcript.Segment> before) {
    double prevEnd = before.isEmpty() ? 0 : before.getLast().end();
    double from = Math.max((offsetMs + s.startMs()) / 1000.0, prevEnd);
    double to = Math.max(from, (offsetMs + s.endMs()) / 1000.0);
    List<Transcript.Word> words = s.words().stream()
        .map(w -> new Transcript.Word(w.word(), Math.clamp((offsetMs + w.startMs()) / 1000.0, from, to),
            Math.clamp((offsetMs + w.endMs()) / 1000.0, from, to), w.probability()))
        .toList();
    String text = s.text().strip();
    return new Transcript.Segment(before.size(), from, to, text, words, s.noSpeechProb(), s.tokens(), s.avgLogprob(),
        Transcript.compressionRatio(text));
  }
}
