"""Names, villages, occupations and phone prefixes of Banten, for generated members."""

from __future__ import annotations

import random

MEN = (
    "Ahmad Asep Ujang Budi Dedi Rohmat Sukardi Jaenudin Mulyadi Hendra Agus Iwan Wawan Dadang "
    "Enjang Mamat Suparman Rahmat Muhammad Abdul Ikhsan Fajar Yayat Engkos Tubagus Saepudin "
    "Haerudin Sahroni Nana Endang Dede Cecep Ade Aan Jajang Odih Usep Eman Uus Komarudin Rudi "
    "Yusuf Hasanudin Bambang Slamet Joko Sutrisno Wahyu Eko Heri Andi Rizki Dimas Arif Bayu "
    "Ilham Firman Gilang Hadi Irfan"
).split()
WOMEN = (
    "Siti Euis Entin Iis Maryam Dewi Nurhayati Rina Yati Aminah Sri Neneng Imas Cucu Eti Nining "
    "Lilis Rohayati Fitri Ratu Kartini Sumiati Ani Nur Titin Eulis Oom Ela Wati Ai Enok Tati "
    "Popon Yuyun Atikah Halimah Khodijah Sumarni Suharti Wulan Indah Ayu Lina Yuli Rini Tuti "
    "Endah Ratna Suci Nia Desi Mega Putri Anisa Rahmawati Novi Ika"
).split()
SECOND_MEN = (
    "Supriyadi Hidayat Setiawan Suryana Rohman Mulyana Kurniawan Saputra Hermawan Sobari "
    "Jamaludin Nurdin Wahyudi Maulana Sulaeman Fauzi Ramdani Hasan Kusnadi Hamdani Suhendra "
    "Permana Firmansyah Iskandar Gunawan Anwar Sopian Rukmana Sutisna Hidayatullah Syarifudin "
    "Suherman Rusdiana Karyadi Sunarya Priatna Ruhiyat Somantri Munandar Kurnia Pratama Hakim "
    "Nugraha Ramadhan Saefulloh Wijaya Santoso Siregar Lubis"
).split()
SECOND_WOMEN = (
    "Nurjanah Rahayu Lestari Safitri Fadilah Apriyani Susanti Sulastri Juhaeni Sukmawati "
    "Marlina Rahmawati Handayani Kusumawati Maryani Nurhasanah Hidayati Yulianti Wahyuni "
    "Fitriani Komalasari Setiawati Herawati Purnamasari Sari Mulyani Suryani Rosita Aisyah Amalia"
).split()
OCCUPATIONS = (
    "Pedagang pasar",
    "Petani",
    "Buruh tani",
    "Nelayan",
    "Pedagang kaki lima",
    "Tukang ojek",
    "Buruh bangunan",
    "Penjahit",
    "Pengrajin",
    "Peternak",
    "Sopir angkot",
    "Tukang cukur",
    "Pedagang keliling",
    "Montir",
    "Warung makan",
    "Petani penggarap",
)
VILLAGES = (
    "Cibeber Sukamaju Cikoneng Bojong Cilaku Tanjung Kadu Sukajaya Mekarsari Pabuaran "
    "Cigadung Kalanganyar Leuwidamar Sindangsari Karanganyar Pasirgadung Kebonjeruk Sumurbatu"
).split()
MOBILE_PREFIXES = "0812 0813 0821 0822 0852 0853 0857 0858 0877 0878 0895 0896 0838 0831".split()
BANKS = ("BRI", "BNI", "Mandiri", "Bank BJB", "BTN", "BSI", "Bank Banten")


def person_name(rng: random.Random, sex: str) -> str:
    """A Banten name for a man ("L") or a woman ("P"): one, two or three words."""
    given, family = (MEN, SECOND_MEN) if sex == "L" else (WOMEN, SECOND_WOMEN)
    first = rng.choice(given)
    roll = rng.random()
    if roll < 0.15:
        return first
    if roll < 0.85:
        return f"{first} {rng.choice(family)}"
    return f"{first} {rng.choice(given)} {rng.choice(family)}"
