"""Pattern-Exploiting Training (PET) on a 16-example sentiment task with a small masked LM.

Pattern: "<text> It was [MASK] ." with verbalizer {negative: "terrible", positive: "great"}.
TransformerModelWrapper.train follows the PET training loop (grouped AdamW, linear warmup/decay,
gradient accumulation, max_steps).
"""
import json
import random
from typing import List

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, RandomSampler, TensorDataset

random.seed(42)
torch.manual_seed(42)
device = "cuda" if torch.cuda.is_available() else "cpu"

POS = ["great", "lovely", "tasty", "friendly", "fresh", "fast"]
NEG = ["awful", "cold", "rude", "slow", "bland", "dirty"]
FILL = ["the", "food", "was", "and", "service", "staff", "place", "really", "very", "our"]
SPECIAL = ["[PAD]", "[CLS]", "[SEP]", "[MASK]", "[UNK]"]
VOCAB = {w: i for i, w in enumerate(SPECIAL + sorted(set(POS + NEG + FILL + ["it", ".", "terrible"])))}


class InputExample:
    def __init__(self, guid, text_a, label):
        self.guid, self.text_a, self.label = guid, text_a, label


class YelpPolarityPVP:
    VERBALIZER = {"1": ["terrible"], "2": ["great"]}

    def __init__(self, label_list):
        self.label_list = label_list

    def encode(self, example: InputExample, max_len: int):
        tokens = ["[CLS]"] + example.text_a.split() + ["it", "was", "[MASK]", ".", "[SEP]"]
        ids = [VOCAB.get(t, VOCAB["[UNK]"]) for t in tokens][:max_len]
        return ids + [VOCAB["[PAD]"]] * (max_len - len(ids))

    def convert_mlm_logits_to_cls_logits(self, mlm_labels, logits):
        masked_logits = logits[mlm_labels >= 0]
        verbalizer_ids = torch.tensor([VOCAB[self.VERBALIZER[l][0]] for l in self.label_list], device=logits.device)
        return masked_logits[:, verbalizer_ids]


class TinyBertForMaskedLM(nn.Module):
    def __init__(self, vocab_size, hidden=32, layers=2, heads=4, max_pos=32):
        super().__init__()
        self.word_embeddings = nn.Embedding(vocab_size, hidden)
        self.position_embeddings = nn.Embedding(max_pos, hidden)
        self.token_type_embeddings = nn.Embedding(2, hidden)
        self.LayerNorm = nn.LayerNorm(hidden)
        self.encoder = nn.ModuleList([nn.TransformerEncoderLayer(hidden, heads, 2 * hidden, dropout=0.1,
                                                                 batch_first=True) for _ in range(layers)])
        self.transform = nn.Sequential(nn.Linear(hidden, hidden), nn.GELU())
        self.transform_LayerNorm = nn.LayerNorm(hidden)
        self.decoder_bias = nn.Parameter(torch.zeros(vocab_size))

    def forward(self, input_ids, attention_mask, token_type_ids):
        pos = torch.arange(input_ids.shape[1], device=input_ids.device)
        h = self.word_embeddings(input_ids) + self.position_embeddings(pos) + self.token_type_embeddings(token_type_ids)
        h = self.LayerNorm(h)
        for layer in self.encoder:
            h = layer(h, src_key_padding_mask=attention_mask == 0)
        h = self.transform_LayerNorm(self.transform(h))
        return h @ self.word_embeddings.weight.T + self.decoder_bias  # tied decoder


def get_linear_schedule_with_warmup(optimizer, num_warmup_steps, num_training_steps):
    def lr_lambda(current_step):
        if current_step < num_warmup_steps:
            return float(current_step) / float(max(1, num_warmup_steps))
        return max(0.0, float(num_training_steps - current_step) / float(max(1, num_training_steps - num_warmup_steps)))
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lr_lambda)


class TransformerModelWrapper:
    def __init__(self, label_list, max_seq_length=16):
        self.label_list, self.max_seq_length = label_list, max_seq_length
        self.label_map = {label: i for i, label in enumerate(label_list)}
        self.model = TinyBertForMaskedLM(len(VOCAB)).to(device)
        self.pvp = YelpPolarityPVP(label_list)

    def _generate_dataset(self, data: List[InputExample]):
        input_ids = torch.tensor([self.pvp.encode(ex, self.max_seq_length) for ex in data])
        attention_mask = (input_ids != VOCAB["[PAD]"]).long()
        mlm_labels = torch.where(input_ids == VOCAB["[MASK]"], 1, -1)
        labels = torch.tensor([self.label_map[ex.label] for ex in data])
        return TensorDataset(input_ids, attention_mask, torch.zeros_like(input_ids), labels, mlm_labels)

    def mlm_train_step(self, batch):
        input_ids, attention_mask, token_type_ids, labels, mlm_labels = batch
        outputs = self.model(input_ids, attention_mask, token_type_ids)
        prediction_scores = self.pvp.convert_mlm_logits_to_cls_logits(mlm_labels, outputs)
        return F.cross_entropy(prediction_scores.view(-1, len(self.label_list)), labels.view(-1))

    def train(self, task_train_data: List[InputExample], per_gpu_train_batch_size: int = 8, n_gpu: int = 1,
              num_train_epochs: int = 3, gradient_accumulation_steps: int = 1, weight_decay: float = 0.0,
              learning_rate: float = 5e-5, adam_epsilon: float = 1e-8, warmup_steps=0, max_grad_norm: float = 1,
              logging_steps: int = 50, max_steps=-1, **_):
        train_batch_size = per_gpu_train_batch_size * max(1, n_gpu)
        train_dataset = self._generate_dataset(task_train_data)
        train_dataloader = DataLoader(train_dataset, sampler=RandomSampler(train_dataset), batch_size=train_batch_size)

        if max_steps > 0:
            t_total = max_steps
            num_train_epochs = max_steps // (max(1, len(train_dataloader) // gradient_accumulation_steps)) + 1
        else:
            t_total = len(train_dataloader) // gradient_accumulation_steps * num_train_epochs

        no_decay = ['bias', 'LayerNorm.weight']
        optimizer_grouped_parameters = [
            {'params': [p for n, p in self.model.named_parameters() if not any(nd in n for nd in no_decay)],
             'weight_decay': weight_decay},
            {'params': [p for n, p in self.model.named_parameters() if any(nd in n for nd in no_decay)],
             'weight_decay': 0.0}]
        optimizer = torch.optim.AdamW(optimizer_grouped_parameters, lr=learning_rate, eps=adam_epsilon)
        scheduler = get_linear_schedule_with_warmup(optimizer, num_warmup_steps=warmup_steps,
                                                    num_training_steps=t_total)

        global_step = 0
        tr_loss, logging_loss = 0.0, 0.0
        self.model.zero_grad()

        for _ in range(int(num_train_epochs)):
            for step, batch in enumerate(train_dataloader):
                self.model.train()
                batch = [t.to(device) for t in batch]
                loss = self.mlm_train_step(batch)
                if gradient_accumulation_steps > 1:
                    loss = loss / gradient_accumulation_steps
                loss.backward()
                tr_loss += loss.item()
                if (step + 1) % gradient_accumulation_steps == 0:
                    torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_grad_norm)
                    optimizer.step()
                    scheduler.step()
                    self.model.zero_grad()
                    global_step += 1
                    if logging_steps > 0 and global_step % logging_steps == 0:
                        logs = {'learning_rate': scheduler.get_last_lr()[0],
                                'loss': (tr_loss - logging_loss) / logging_steps}
                        logging_loss = tr_loss
                        print(json.dumps({**logs, **{'step': global_step}}))
                if 0 < max_steps < global_step:
                    break
            if 0 < max_steps < global_step:
                break
        return global_step, (tr_loss / global_step if global_step > 0 else -1)


def make_examples(n):
    examples = []
    for i in range(n):
        label = random.choice(["1", "2"])
        words = random.sample(FILL, 4) + [random.choice(POS if label == "2" else NEG)]
        random.shuffle(words)
        examples.append(InputExample(guid=f"train-{i}", text_a=" ".join(words), label=label))
    return examples


train_data = make_examples(16)  # "true few-shot": 16 labeled examples
pet_train_config = dict(per_gpu_train_batch_size=8, gradient_accumulation_steps=4, max_steps=12,
                        learning_rate=1e-4, weight_decay=0.01, warmup_steps=0, logging_steps=2)
wrapper = TransformerModelWrapper(label_list=["1", "2"])
global_step, tr_loss = wrapper.train(train_data, **pet_train_config)
print(f"finished PET training: global_step={global_step}, avg loss={tr_loss}")
