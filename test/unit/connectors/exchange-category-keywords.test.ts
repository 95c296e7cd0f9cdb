import { describe, expect, it } from 'vitest';
import { CATEGORY_PREFIX, categoryToKeyword, isCategoryKeyword, keywordToCategory } from '../../../src/connectors/exchange/category-keywords.js';
import { isValidKeyword } from '../../../src/mapping/index.js';

const NAMES = [
  'Red category', 'Blue', 'Kunde (Ärger)', 'プロジェクト', '😀 emoji', '', ' ', '  leading and trailing  ', '_', '__', '_20', '$Cat_',
  '%', '*', '"quoted"', 'back\\slash', 'br]acket', '{brace}', 'a.b-c', 'MiXeD CaSe', '\u00a0nbsp', '\ufeffbom first', 'tab\there',
  'new\nline', '\u0000nul', 'x'.repeat(255), 'é'.repeat(100), 'Ω≈ç√∫', 'café', 'cafe\u0301',
];

describe('category keywords', () => {
  it.each(NAMES.map((name) => [JSON.stringify(name), name]))('round-trips %s through a valid IMAP atom', (_label, name) => {
    const keyword = categoryToKeyword(name);
    expect(keyword === name || keyword.startsWith(CATEGORY_PREFIX)).toBe(true);
    expect(isValidKeyword(keyword)).toBe(true);
    expect(/^[\x21-\x7e]+$/.test(keyword)).toBe(true);
    // A plain keyword is its own category name (what the EWS target does with any keyword).
    expect(keywordToCategory(keyword) ?? keyword).toBe(name);
  });

  it('keeps a category that is already a plain keyword as itself, unless clients give that keyword a meaning', () => {
    expect(categoryToKeyword('Blue')).toBe('Blue');
    expect(categoryToKeyword('ProjectX')).toBe('ProjectX');
    expect(categoryToKeyword('$Label1')).toBe('$Label1');
    expect(categoryToKeyword('$Junk')).toBe('$Cat__24Junk');
    expect(categoryToKeyword('NonJunk')).toBe('$Cat_NonJunk');
    expect(categoryToKeyword('$Forwarded')).toBe('$Cat__24Forwarded');
    expect(categoryToKeyword('$cat_x')).toBe('$Cat__24cat_5Fx');
  });

  it('keeps letters, digits, "-" and "." readable and escapes everything else as _XX of the UTF-8 bytes', () => {
    expect(categoryToKeyword('Red category')).toBe('$Cat_Red_20category');
    expect(categoryToKeyword('Ärger (2)')).toBe('$Cat__C3_84rger_20_282_29');
    expect(categoryToKeyword('a.b-c d')).toBe('$Cat_a.b-c_20d');
    expect(categoryToKeyword('')).toBe('$Cat_');
  });

  it('gives distinct names distinct keywords, also ignoring case except for letters', () => {
    const keywords = NAMES.map((n) => categoryToKeyword(n));
    expect(new Set(keywords).size).toBe(NAMES.length);
    // Only names that differ in letter case collide case-insensitively, as IMAP compares keywords.
    expect(new Set(keywords.map((k) => k.toLowerCase())).size).toBe(NAMES.length);
  });

  it('decodes a keyword whose case a server changed', () => {
    expect(keywordToCategory('$cat_red_20category')).toBe('red category');
    expect(keywordToCategory('$CAT__c3_84rger')).toBe('Ärger');
  });

  it('does not take other keywords for categories', () => {
    for (const keyword of ['$Forwarded', 'Work', '$label1', '$Cat', '$Cat_x_', '$Cat_x_2', '$Cat_x_ZZ', '$Cat_a b', '$Cat_a!', '$Cat__FF', '$Cat__C3', '$Cat__C0_80']) {
      expect(keywordToCategory(keyword), keyword).toBeUndefined();
      expect(isCategoryKeyword(keyword)).toBe(false);
    }
    expect(isCategoryKeyword('$Cat_')).toBe(true);
  });
});
