/* wordpiece.h: BERT's uncased WordPiece tokenizer, for the minilm example.
 *
 * Text (UTF-8) -> [CLS] pieces... [SEP] as vocabulary ids, as BertTokenizer
 * with do_lower_case does it: control characters dropped, whitespace
 * split, lower case, accents stripped (Latin-1 and Latin Extended-A
 * letters), punctuation and CJK ideographs split off as tokens of their own,
 * then each word cut greedily into the longest pieces of vocab.txt ("##"
 * marks a piece inside a word); a word with no such cut is [UNK].
 * Punctuation outside ASCII is recognised in the General Punctuation, CJK
 * Symbols and Punctuation and Halfwidth/Fullwidth Forms blocks and Latin-1's
 * ¡ § « ¶ · » ¿; other characters pass through unchanged.
 */
#ifndef ATTNC_EXAMPLE_WORDPIECE_H
#define ATTNC_EXAMPLE_WORDPIECE_H

#include <stddef.h>
#include <stdint.h>

typedef struct wp_vocab wp_vocab;

/* Reads vocab.txt (one piece per line, the line number its id); NULL with a
 * message on stderr when it cannot. */
wp_vocab *wp_load(const char *path);
void wp_free(wp_vocab *v);

/* The id of a piece, or -1. */
int64_t wp_id(const wp_vocab *v, const char *piece, size_t len);

/* Tokenizes `text` into at most `max_ids` ids, [CLS] and [SEP] included
 * (the pieces beyond max_ids - 2 are dropped, as truncation does); returns
 * the count. */
size_t wp_encode(const wp_vocab *v, const char *text, int64_t *ids, size_t max_ids);

#endif
