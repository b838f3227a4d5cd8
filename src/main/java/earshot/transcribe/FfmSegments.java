package earshot.transcribe;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import earshot.transcribe.WhisperEngine.RawSegment;
import earshot.transcribe.WhisperEngine.Word;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SegmentAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a state's segments after (or during) {@code whisper_full_with_state}: text and token text as bytes decoded
 * as UTF-8 here, segment times made sane (whisper.cpp 1.7.1 reports a negative t0 in some modes and t1 past the end
 * of the audio), each segment's token ids and avg_logprob, and words assembled from tokens: a token whose text
 * starts with a space starts a new word; special and timestamp tokens (ids from {@code whisper_token_eot} up) are
 * skipped; a word's time runs from its first token's t0 to its last token's t1, clamped into its segment, and its
 * probability is the mean of its tokens' p.
 *
 * <p>Threading: used by one session on its decoding thread; holds a reusable buffer for token data.
 */
final class FfmSegments {
  private final WhisperLibrary lib;
  private final WhisperFfmEngine.Model model;
  private final MemorySegment state;
  private final SegmentAllocator tokenSlot;

  FfmSegments(WhisperLibrary lib, WhisperFfmEngine.Model model, MemorySegment state, MemorySegment tokenBuffer) {
    this.lib = lib;
    this.model = model;
    this.state = state;
    this.tokenSlot = SegmentAllocator.prefixAllocator(tokenBuffer);
  }

  int count() throws Throwable {
    return (int) lib.fullNSegmentsFromState.invokeExact(state);
  }

  /**
   * Segment {@code i} with times in ms, clamped to {@code [prevEndMs, lengthMs]} so segments never overlap, run
   * backwards or past the audio.
   */
  RawSegment read(int i, long prevEndMs, long lengthMs, boolean words) throws Throwable {
    long t0 = (long) lib.fullGetSegmentT0FromState.invokeExact(state, i) * 10;
    long t1 = (long) lib.fullGetSegmentT1FromState.invokeExact(state, i) * 10;
    long start = Math.min(Math.max(t0, prevEndMs), lengthMs);
    long end = Math.min(Math.max(t1, start), lengthMs);
    String text = WhisperLibrary.cString((MemorySegment) lib.fullGetSegmentTextFromState.invokeExact(state, i));
    Double noSpeech = null;
    if (lib.fullGetSegmentNoSpeechProbFromState.isPresent()) {
      noSpeech = (double) (float) lib.fullGetSegmentNoSpeechProbFromState.get().invokeExact(state, i);
    }
    return tokens(i, start, end, text, noSpeech, words);
  }

  /**
   * Reads the segment's token data once: every token id, in order, and avg_logprob as the mean {@code plog} over all
   * of them, text and timestamp tokens alike, as OpenAI's reference averages over every token it sampled (the
   * prompt is not part of a segment); words come from the text tokens only.
   */
  private RawSegment tokens(int segment, long startMs, long endMs, String text, Double noSpeech, boolean words)
      throws Throwable {
    int n = (int) lib.fullNTokensFromState.invokeExact(state, segment);
    List<Integer> ids = new ArrayList<>(n);
    double plogSum = 0;
    int plogs = 0;
    List<Word> out = new ArrayList<>();
    WordBuilder word = null;
    for (int j = 0; j < n; j++) {
      MemorySegment data = (MemorySegment) lib.fullGetTokenDataFromState.invokeExact(tokenSlot, state, segment, j);
      int id = data.get(JAVA_INT, ID);
      ids.add(id);
      float plog = data.get(JAVA_FLOAT, PLOG);
      if (Float.isFinite(plog)) {
        plogSum += plog;
        plogs++;
      }
      if (!words || id >= model.eot()) {
        continue;
      }
      byte[] bytes = WhisperLibrary.cBytes(
          (MemorySegment) lib.fullGetTokenTextFromState.invokeExact(model.ctx(), state, segment, j));
      if (word == null || (bytes.length > 0 && bytes[0] == ' ')) {
        if (word != null) {
          word.finish(out, startMs, endMs);
        }
        word = new WordBuilder();
      }
      word.add(bytes, data.get(JAVA_LONG, T0) * 10, data.get(JAVA_LONG, T1) * 10, data.get(JAVA_FLOAT, P));
    }
    if (word != null) {
      word.finish(out, startMs, endMs);
    }
    return new RawSegment(startMs, endMs, text, out, noSpeech, ids, plogs == 0 ? null : plogSum / plogs);
  }

  private static final long ID = FullParamsLayout.offset(FullParamsLayout.TOKEN_DATA, "id");
  private static final long PLOG = FullParamsLayout.offset(FullParamsLayout.TOKEN_DATA, "plog");
  private static final long T0 = FullParamsLayout.offset(FullParamsLayout.TOKEN_DATA, "t0");
  private static final long T1 = FullParamsLayout.offset(FullParamsLayout.TOKEN_DATA, "t1");
  private static final long P = FullParamsLayout.offset(FullParamsLayout.TOKEN_DATA, "p");

  /** Bytes of one word's tokens, decoded together so a character split across tokens comes out whole. */
  private static final class WordBuilder {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private long t0 = Long.MAX_VALUE;
    private long t1 = Long.MIN_VALUE;
    private double pSum;
    private int tokens;

    void add(byte[] text, long tokenT0, long tokenT1, float p) {
      bytes.writeBytes(text);
      t0 = Math.min(t0, tokenT0);
      t1 = Math.max(t1, tokenT1);
      pSum += p;
      tokens++;
    }

    void finish(List<Word> out, long segStart, long segEnd) {
      String text = bytes.toString(StandardCharsets.UTF_8).strip();
      if (text.isEmpty()) {
        return;
      }
      long prevEnd = out.isEmpty() ? segStart : out.getLast().endMs();
      long from = Math.min(Math.max(t0, prevEnd), segEnd);
      long to = Math.min(Math.max(t1, from), segEnd);
      out.add(new Word(text, from, to, pSum / tokens));
    }
  }
}
